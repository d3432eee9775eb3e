import { isStorableText, toJsonText } from './codec.js';
import type { Store } from './database.js';
import { AlreadyConsumedError } from './errors.js';
import { lazySync } from './lazy-sync.js';
import { createPayloadLookups, type PayloadRow } from './payload-lookups.js';
import { payloadQueries, upsertQuery } from './payload-queries.js';
import type { ReusableQuery } from './reusable-query.js';
import { StorageError } from '../errors/index.js';

/*
 * Storage for oidc-provider 9 models (sessions, interactions, codes, tokens,
 * grants) in one table keyed by (model, id). The adapter interface is written
 * out structurally here so that storage does not depend on oidc-provider.
 */

/** Payload fields that the adapter indexes. The rest is stored as opaque JSON. */
export interface OidcPayloadFields {
  grantId?: string | undefined;
  userCode?: string | undefined;
  uid?: string | undefined;
  /** Epoch seconds of consumption. oidc-provider treats any truthy value as consumed. */
  consumed?: unknown;
}

export type OidcPayload = OidcPayloadFields & Record<string, unknown>;

export interface OidcAdapter<P extends OidcPayloadFields> {
  upsert(id: string, payload: P, expiresIn?: number): Promise<void>;
  find(id: string): Promise<P | undefined>;
  findByUserCode(userCode: string): Promise<P | undefined>;
  findByUid(uid: string): Promise<P | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type OidcAdapterClass<P extends OidcPayloadFields> = new (name: string) => OidcAdapter<P>;

/** Return an adapter that passes every call to `inner`, for wrappers that replace one or two of its methods. */
export function delegateAdapter<P extends OidcPayloadFields>(inner: OidcAdapter<P>): OidcAdapter<P> {
  return {
    upsert: (id, payload, expiresIn) => inner.upsert(id, payload, expiresIn),
    find: (id) => inner.find(id),
    findByUserCode: (userCode) => inner.findByUserCode(userCode),
    findByUid: (uid) => inner.findByUid(uid),
    consume: (id) => inner.consume(id),
    destroy: (id) => inner.destroy(id),
    revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
  };
}

/** Clients live in the services table and the oidc module maps them, so this adapter never stores one. */
const CLIENT_MODEL = 'Client';

/** Models that `revokeByGrantId` removes, as in oidc-provider's own memory adapter. */
export const GRANT_BOUND_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * Models whose saved records a SQLite commit need not sync by itself
 * (src/storage/lazy-sync.ts): short-lived records that a power failure may
 * lose at the cost of a new sign-in or a new token request. A save that marks
 * a record consumed, every consume and every delete but an interaction's
 * still sync, and so do models missing here.
 */
export const LAZY_SYNC_MODELS: ReadonlySet<string> = new Set([
  'Session',
  'Interaction',
  'Grant',
  'AuthorizationCode',
  'AccessToken',
  'ClientCredentials',
  'RefreshToken',
  'PushedAuthorizationRequest',
]);

/** The model of sign-in interactions, which the provider deletes when one ends. */
const INTERACTION_MODEL = 'Interaction';

/** The model name of sessions, the only records looked up by uid. */
export const SESSION_MODEL = 'Session';

/**
 * Create the adapter class that oidc-provider instantiates once per model
 * name. `clock` returns epoch milliseconds, and tests pass a fake one.
 */
export function createOidcAdapter<P extends OidcPayloadFields = OidcPayload>(
  store: Store,
  clock: () => number = Date.now,
): OidcAdapterClass<P> {
  const db = store.db;
  const queries = payloadQueries(db);
  const lazyUpsert = upsertQuery(lazySync(db));
  const lookups = createPayloadLookups(db);

  return class SqlOidcAdapter implements OidcAdapter<P> {
    readonly model: string;

    constructor(name: string) {
      this.model = name;
    }

    async upsert(id: string, payload: P, expiresIn?: number): Promise<void> {
      if (this.model === CLIENT_MODEL) {
        throw new StorageError('Client records are not stored by the OIDC payload adapter');
      }
      const now = clock();
      const consumed = consumedAt(payload.consumed, now);
      const upsert = consumed === null && LAZY_SYNC_MODELS.has(this.model) ? lazyUpsert : queries.upsert;
      await upsert.run([
        this.model,
        id,
        toJsonText(payload),
        GRANT_BOUND_MODELS.has(this.model) ? stringOrNull(payload.grantId) : null,
        stringOrNull(payload.userCode),
        this.model === SESSION_MODEL ? stringOrNull(payload.uid) : null,
        expiresIn === undefined ? null : now + Math.ceil(expiresIn * 1000),
        consumed,
      ]);
    }

    async find(id: string): Promise<P | undefined> {
      if (this.model === CLIENT_MODEL) {
        return undefined;
      }
      const row = await lookups.find(this.model, id, clock());
      return row === undefined ? undefined : parseStoredPayload<P>(row);
    }

    async findByUserCode(userCode: string): Promise<P | undefined> {
      return findLive<P>(queries.findBy.user_code, this.model, userCode, clock());
    }

    async findByUid(uid: string): Promise<P | undefined> {
      return findLive<P>(queries.findBy.uid, this.model, uid, clock());
    }

    /**
     * Mark the record consumed in one conditional UPDATE, so of two
     * concurrent consumers exactly one succeeds. The other gets
     * AlreadyConsumedError.
     */
    async consume(id: string): Promise<void> {
      const result = await queries.consume.run([clock(), this.model, id]);
      if ((result.numAffectedRows ?? 0n) === 0n) {
        throw new AlreadyConsumedError(this.model);
      }
    }

    async destroy(id: string): Promise<void> {
      // A lost delete of an ended interaction only leaves it until it expires.
      const handle = this.model === INTERACTION_MODEL ? lazySync(db) : db;
      await handle.deleteFrom('oidc_payloads').where('model', '=', this.model).where('id', '=', id).execute();
    }

    /** Delete every grant-bound record of the grant, whichever model this adapter serves. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
    }
  };
}

/** Delete the records that expired at or before `now` (epoch ms) and return how many. */
export async function deleteExpired(store: Store, now: number): Promise<number> {
  const result = await store.db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

async function findLive<P>(query: ReusableQuery<PayloadRow>, model: string, value: string, now: number): Promise<P | undefined> {
  if (!isStorableText(value)) {
    return undefined;
  }
  const row = (await query.run([model, value, now])).rows[0];
  return row === undefined ? undefined : parseStoredPayload<P>(row);
}

/** Parse a stored payload. The consumed_at column, not the stored JSON, decides whether it is consumed. */
export function parseStoredPayload<P>(row: Pick<PayloadRow, 'payload' | 'consumed_at'>): P {
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  delete payload.consumed;
  if (row.consumed_at !== null) {
    payload.consumed = Math.floor(row.consumed_at / 1000);
  }
  return payload as P;
}

function consumedAt(consumed: unknown, now: number): number | null {
  if (typeof consumed === 'number') {
    return Math.floor(consumed * 1000);
  }
  return consumed ? now : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
