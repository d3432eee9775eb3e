import type { Redis } from 'ioredis';
import { StorageError } from '../../errors/index.js';
import { callRedis, type RedisFailureReport } from '../../redis/errors.js';
import { AlreadyConsumedError } from '../errors.js';
import type { OidcAdapter, OidcAdapterClass, OidcPayload } from '../oidc-adapter.js';
import { CONSUMABLE_MODELS, SESSION_MODEL, type KeyLayout, type ModelKeys } from './keys.js';
import { decodeRecord } from './record-codec.js';
import { executeTransaction, queueIndexWrites, queueRecordWrite } from './record-writes.js';
import type { OidcScriptCommands } from './scripts.js';
import { createSessionPrefetch } from './session-prefetch.js';

/** Models whose records may name a session (sessionUid), which oidc-provider then looks up by uid. */
const SESSION_BOUND_MODELS: ReadonlySet<string> = new Set(['AccessToken', 'AuthorizationCode']);

export interface RedisOidcAdapterOptions {
  redis: Redis & OidcScriptCommands;
  keys: KeyLayout;
  /** Epoch milliseconds; tests pass a fake clock. Redis TTLs still run on the server's own clock. */
  clock?: () => number;
  /** Receives every failed command, for the log. */
  report?: RedisFailureReport;
  /** The context of the provider request being served, which keeps the sessions read along with tokens (session-prefetch.ts). */
  currentRequest?: () => object | undefined;
}

/**
 * Create the adapter class for oidc-provider models kept in Redis. It behaves
 * like the SQL adapter (src/storage/oidc-adapter.ts): a record lives for its
 * expiresIn as a Redis TTL, and a consumed record stays consumed. Of two
 * concurrent consumers on any number of nodes, exactly one succeeds. See
 * keys.ts for the layout.
 */
export function createRedisOidcAdapter<P extends OidcPayload = OidcPayload>(options: RedisOidcAdapterOptions): OidcAdapterClass<P> {
  const { redis, keys } = options;
  const clock = options.clock ?? Date.now;
  const call = <T>(operation: string, run: () => Promise<T>) => callRedis(operation, run, options.report);
  const prefetch = createSessionPrefetch(options.currentRequest ?? (() => undefined));
  const sessionPrefix = keys.model(SESSION_MODEL).record('');
  const uidIndexPrefix = keys.sessionUid('');

  return class RedisOidcAdapter implements OidcAdapter<P> {
    readonly model: string;
    readonly #keys: ModelKeys;
    readonly #consumable: boolean;
    readonly #sessionBound: boolean;

    constructor(name: string) {
      this.model = name;
      this.#keys = keys.model(name);
      this.#consumable = CONSUMABLE_MODELS.has(name);
      this.#sessionBound = SESSION_BOUND_MODELS.has(name);
    }

    async upsert(id: string, payload: P, expiresIn?: number): Promise<void> {
      const now = clock();
      // Redis rejects a TTL of 0 or less; a record saved as already expired lives 1 ms, as good as gone.
      const ttlMs = expiresIn === undefined ? undefined : Math.max(1, Math.ceil(expiresIn * 1000));
      const write = { keys, model: this.model, modelKeys: this.#keys, consumable: this.#consumable, id, payload, ttlMs, now };
      const transaction = redis.multi();
      queueRecordWrite(transaction, write);
      queueIndexWrites(transaction, write);
      await executeTransaction(`${this.model}.upsert`, transaction, options.report);
    }

    async find(id: string): Promise<P | undefined> {
      const key = this.#keys.record(id);
      const operation = `${this.model}.find`;
      if (this.#sessionBound) {
        return this.#findWithSession(id, key, operation);
      }
      if (this.#consumable) {
        const [json, consumed] = await call(operation, () => redis.hmget(key, 'p', 'c'));
        return json === null || json === undefined ? undefined : this.#decode(id, json, consumed);
      }
      const json = await call(operation, () => redis.get(key));
      return json === null ? undefined : this.#decode(id, json, null);
    }

    /** Decode a found record: a consumable one with its consumption time from field c, any other as #readable does. */
    #decode(id: string, json: string, consumed: string | null | undefined): P | undefined {
      return this.#consumable ? decodeRecord<P>(id, this.model, json, consumed) : this.#readable(id, json);
    }

    /** Find a token and read its session along, for the lookup by uid that follows (session-prefetch.ts). */
    async #findWithSession(id: string, key: string, operation: string): Promise<P | undefined> {
      const found = await call(operation, () => redis.oidcFindWithSession(key, this.#consumable ? '1' : '0', uidIndexPrefix, sessionPrefix));
      if (found === null) {
        return undefined;
      }
      const [json, consumed, sessionId, sessionJson] = found;
      const payload = this.#decode(id, json, consumed);
      if (payload !== undefined && typeof payload.sessionUid === 'string' && sessionId !== null && sessionJson !== null) {
        prefetch.remember(payload.sessionUid, sessionId, sessionJson);
      }
      return payload;
    }

    /** Decode a plain record. A session stays stored past its expiry for the logout sweep (SESSION_SWEEP_GRACE_MS), but is gone for readers. */
    #readable(id: string, json: string): P | undefined {
      const payload = decodeRecord<P>(id, this.model, json, null);
      if (this.model === SESSION_MODEL && typeof payload.exp === 'number' && payload.exp * 1000 <= clock()) {
        return undefined;
      }
      return payload;
    }

    /**
     * Take the session that a token lookup read along, or else read the uid
     * index and the record by one script, because this lookup runs on every
     * token request bound to a session.
     */
    async findByUid(uid: string): Promise<P | undefined> {
      if (this.model !== SESSION_MODEL) {
        return undefined;
      }
      const found = prefetch.take(uid) ?? (await call('Session.findByUid', () => redis.oidcFindSessionByUid(keys.sessionUid(uid), sessionPrefix)));
      const payload = found === null ? undefined : this.#readable(found[0], found[1]);
      return payload?.uid === uid ? payload : undefined;
    }

    async findByUserCode(userCode: string): Promise<P | undefined> {
      const id = await call(`${this.model}.findByUserCode`, () => redis.get(this.#keys.userCode(userCode)));
      const payload = id === null ? undefined : await this.find(id);
      return payload?.userCode === userCode ? payload : undefined;
    }

    /** Mark the record consumed in one script, so of two concurrent consumers exactly one succeeds. */
    async consume(id: string): Promise<void> {
      if (!this.#consumable) {
        throw new StorageError(`${this.model} records cannot be consumed`);
      }
      const consumedAt = Math.floor(clock() / 1000);
      const consumed = await call(`${this.model}.consume`, () => redis.oidcConsume(this.#keys.record(id), consumedAt));
      if (consumed !== 1) {
        throw new AlreadyConsumedError(this.model);
      }
    }

    async destroy(id: string): Promise<void> {
      const key = this.#keys.record(id);
      const operation = `${this.model}.destroy`;
      if (this.model === SESSION_MODEL) {
        await call(operation, () => redis.oidcDestroySession(key, keys.sessionExpiry, id, keys.sessionUid('')));
        return;
      }
      // A grant index or user code entry left behind points to nothing and expires with its TTL.
      await call(operation, () => redis.del(key));
    }

    /** Delete every grant-bound record of the grant kept in Redis, whichever model this adapter serves. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await call(`${this.model}.revokeByGrantId`, () => redis.oidcRevokeGrant(keys.grantIndex(grantId), keys.prefix));
    }
  };
}
