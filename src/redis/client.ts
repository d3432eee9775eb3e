import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { describeSentinels, type RedisSentinelSettings } from './sentinels.js';

const CONNECT_TIMEOUT_MS = 5000;
/** A command that gets no reply in this time fails, so a request never hangs on a stalled Redis. */
const COMMAND_TIMEOUT_MS = 2000;

/** Hide the password of a connection URL before it goes into a message. */
export function describeRedisUrl(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) {
    return '(unparsable REDIS_URL)';
  }
  if (parsed.password !== '') {
    parsed.password = '***';
  }
  return parsed.toString();
}

/**
 * Open a connection to Redis (REDIS_URL) for one purpose (throttle, oidc,
 * readiness), and connect before returning, so that a wrong URL stops the
 * start with a message.
 *
 * The connection fails fast: while Redis is unreachable, commands are not
 * queued (enableOfflineQueue) and fail at once, and a stalled command fails
 * after COMMAND_TIMEOUT_MS. ioredis keeps reconnecting in the background, so
 * the node recovers by itself when Redis is back.
 *
 * With `sentinel`, the connection queries the sentinels for the master's
 * address, again after each failover; `url` then gives only the master's user
 * name, password, database number and TLS.
 */
export async function openRedisClient(url: string, logger: Logger, purpose: string, sentinel?: RedisSentinelSettings): Promise<Redis> {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectionName: `propusk-${purpose}`,
    // Reconnect quickly at first, then every 2 s at most.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
  if (sentinel !== undefined) {
    options.sentinels = sentinel.sentinels;
    options.name = sentinel.master;
    if (sentinel.password !== undefined) {
      options.sentinelPassword = sentinel.password;
    }
    // In Sentinel mode ioredis drops the rediss:// TLS settings for the master unless this option keeps them.
    options.enableTLSForSentinelMode = url.startsWith('rediss://');
    options.sentinelRetryStrategy = (attempt) => Math.min(attempt * 100, 2000);
  }
  const redis = new Redis(url, options);
  const address = sentinel === undefined ? describeRedisUrl(url) : `${describeSentinels(sentinel)} (${describeRedisUrl(url)})`;
  let reported = false;
  let lastError: unknown;
  redis.on('error', (error: unknown) => {
    lastError = error;
    if (!reported) {
      reported = true;
      logger.error({ err: error, redis: address, purpose }, 'Redis connection failed; requests that need it fail until it is back');
    }
  });
  redis.on('ready', () => {
    if (reported) {
      reported = false;
      logger.info({ redis: address, purpose }, 'Redis connection restored');
    }
  });
  let timer: NodeJS.Timeout | undefined;
  // Through Sentinel, ioredis keeps querying the sentinels and never rejects connect(), for example for an unknown master name.
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(lastError ?? new Error(`no connection within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([redis.connect(), timeout]);
  } catch (cause) {
    redis.disconnect();
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`Cannot connect to Redis at ${address} (REDIS_URL${sentinel === undefined ? '' : ', PROPUSK_REDIS_SENTINELS'}): ${reason}`, { cause });
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

/** Close a connection politely, or drop it when it is already gone. */
export async function closeRedisClient(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    // QUIT fails when the connection is already gone; there is nothing left to close gracefully.
    redis.disconnect();
  }
}
