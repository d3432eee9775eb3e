import { hkdfSync } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { Store } from '../storage/database.js';
import { createDatabaseCounterStore } from './database-store.js';
import { policiesFromConfig } from './policies.js';
import { createRedisCounterStore } from './redis-store.js';
import { createThrottle, type Throttle } from './throttle.js';

export { createClientAuthThrottle, type ClientAuthThrottle, type EndpointContext } from './client-auth-throttle.js';
export { createLoginThrottle, type LoginThrottle, type ThrottledAuthentication } from './login-throttle.js';
export { retryAfterText, waitText } from './wait-text.js';
export type { AttemptOutcome, Reservation, Throttle, ThrottleKey } from './throttle.js';

export interface ThrottleParts {
  config: Config;
  store: Store;
  /** Cookie-signing secrets from the keystore; index 0 keys the counter HMAC. */
  cookieKeys: readonly string[];
  logger: Logger;
}

/**
 * Open the throttle of a running Propusk: counters in Redis when REDIS_URL is
 * set, otherwise in the database. The HMAC key is derived from the current cookie
 * key, which every node loads from the same database.
 * NOTE: after `propusk keys rotate` and a restart the counter keys change, so
 * failures counted before the rotation are forgotten.
 */
export async function openThrottle(parts: ThrottleParts): Promise<Throttle> {
  const cookieKey = parts.cookieKeys[0];
  if (cookieKey === undefined) {
    throw new Error('the keystore has no cookie key to derive the throttle key from');
  }
  const secret = Buffer.from(hkdfSync('sha256', cookieKey, Buffer.alloc(0), 'propusk:throttle-keys', 32));
  const store =
    parts.config.redisUrl === undefined ? createDatabaseCounterStore(parts.store.db) : await createRedisCounterStore(parts.config.redisUrl, parts.logger, parts.config.redisPrefix, parts.config.redisSentinel);
  return createThrottle({ store, policies: policiesFromConfig(parts.config), secret });
}
