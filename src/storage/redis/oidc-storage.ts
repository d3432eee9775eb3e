import type { Logger } from 'pino';
import { callRedis, reportRedisFailures } from '../../redis/errors.js';
import { closeRedisClient, openRedisClient } from '../../redis/client.js';
import type { RedisSentinelSettings } from '../../redis/sentinels.js';
import type { Store } from '../database.js';
import { createOidcAdapter, delegateAdapter, type OidcAdapter, type OidcPayload } from '../oidc-adapter.js';
import { keyLayout, SESSION_MODEL } from './keys.js';
import { createRedisOidcAdapter } from './oidc-adapter.js';
import { decodeRecord } from './record-codec.js';
import { defineOidcScripts } from './scripts.js';

/**
 * oidc-provider models kept in Redis when REDIS_URL is set. Each lives from
 * seconds to a school day and is read on most requests. Grant and
 * RefreshToken stay in the database (see docs/decisions/0010-redis-state.md):
 * they live for weeks, and a consumed refresh token must stay consumed after
 * any restart of Redis.
 */
export const REDIS_MODELS: ReadonlySet<string> = new Set([
  'Session',
  'Interaction',
  'AuthorizationCode',
  'AccessToken',
  'ClientCredentials',
  'ReplayDetection',
  'PushedAuthorizationRequest',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export interface ExpiredSession {
  id: string;
  payload: OidcPayload;
}

/** The stores of oidc-provider's records: the database only, or Redis for the short-lived models. */
export interface OidcStorage {
  /** The adapter of one oidc-provider model (never Client: clients come from the service directory). */
  adapterFor(model: string): OidcAdapter<OidcPayload>;
  /** False while the Redis connection is down, so a request can fail before it changes anything. Always true without Redis. */
  available(): boolean;
  /** True when Session records are stored in the database (no Redis), where a query can join them with the session's facts. */
  sessionsInDatabase: boolean;
  /**
   * Claim and delete up to `limit` sessions that expired at or before `now`
   * (epoch ms), each for exactly one caller on any node. Undefined when
   * sessions live in the database, whose housekeeping ends them.
   */
  takeExpiredSessions: ((now: number, limit: number) => Promise<ExpiredSession[]>) | undefined;
  close(): Promise<void>;
}

export interface OidcStorageParts {
  store: Store;
  /** REDIS_URL; undefined keeps every record in the database. */
  redisUrl: string | undefined;
  /** PROPUSK_REDIS_SENTINELS and the master's name, when Redis is reached through Sentinel. */
  redisSentinel?: RedisSentinelSettings | undefined;
  /** PROPUSK_REDIS_PREFIX. */
  redisPrefix: string;
  logger: Logger;
  clock?: () => number;
  /** The context of the provider request being served; without it the Redis adapter reads a token's session with a second round trip. */
  currentRequest?: () => object | undefined;
}

/** Open the storage of oidc-provider's records, connecting to Redis first when it is configured. */
export async function openOidcStorage(parts: OidcStorageParts): Promise<OidcStorage> {
  const SqlAdapter = createOidcAdapter<OidcPayload>(parts.store, parts.clock);
  if (parts.redisUrl === undefined) {
    return {
      adapterFor: (model) => new SqlAdapter(model),
      available: () => true,
      sessionsInDatabase: true,
      takeExpiredSessions: undefined,
      close: async () => {},
    };
  }

  const redis = defineOidcScripts(await openRedisClient(parts.redisUrl, parts.logger, 'oidc', parts.redisSentinel));
  const keys = keyLayout(`${parts.redisPrefix}oidc:`);
  const report = reportRedisFailures(parts.logger, 'oidc');
  const RedisAdapter = createRedisOidcAdapter<OidcPayload>({
    redis,
    keys,
    report,
    ...(parts.clock === undefined ? {} : { clock: parts.clock }),
    ...(parts.currentRequest === undefined ? {} : { currentRequest: parts.currentRequest }),
  });
  return {
    adapterFor(model) {
      const [own, other] = REDIS_MODELS.has(model) ? [new RedisAdapter(model), new SqlAdapter(model)] : [new SqlAdapter(model), new RedisAdapter(model)];
      return revokingInBoth(own, other);
    },
    available: () => redis.status === 'ready',
    sessionsInDatabase: false,
    async takeExpiredSessions(now, limit) {
      const flat = await callRedis(
        'the sweep of expired sessions',
        () => redis.oidcTakeExpiredSessions(keys.sessionExpiry, now, limit, keys.model(SESSION_MODEL).record(''), keys.sessionUid('')),
        report,
      );
      const expired: ExpiredSession[] = [];
      for (let index = 0; index + 1 < flat.length; index += 2) {
        const id = flat[index] as string;
        expired.push({ id, payload: decodeRecord<OidcPayload>(id, SESSION_MODEL, flat[index + 1] as string, null) });
      }
      return expired;
    },
    close: () => closeRedisClient(redis),
  };
}

/**
 * Wrap the adapter of one model so that a revocation reaches both stores:
 * a grant's access tokens live in Redis and its refresh tokens in the
 * database, and oidc-provider revokes through whichever model it holds.
 */
function revokingInBoth(own: OidcAdapter<OidcPayload>, other: OidcAdapter<OidcPayload>): OidcAdapter<OidcPayload> {
  return {
    ...delegateAdapter(own),
    async revokeByGrantId(grantId) {
      await Promise.all([own.revokeByGrantId(grantId), other.revokeByGrantId(grantId)]);
    },
  };
}
