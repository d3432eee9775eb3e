import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { describeSentinels, type RedisSentinelSettings } from './sentinels.js';

const CONNECT_TIMEOUT_MS = 5000;
/** A command that gets no reply in this time fails, so a request never hangs on a stalled Redis. */
const COMMAND_TIMEOUT_MS = 2000;

/** Reconnect quickly at first, then every 2 s at most; used for Redis and for the sentinels alike. */
const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 2000);

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
 * address, and again after each failover. `url` then gives only the master's user
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
    retryStrategy: reconnectDelay,
  };
  if (sentinel !== undefined) {
    options.sentinels = sentinel.sentinels;
    options.name = sentinel.master;
    if (sentinel.password !== undefined) {
      options.sentinelPassword = sentinel.password;
    }
    // In Sentinel mode ioredis drops the rediss:// TLS settings for the master unless this option keeps them.
    options.enableTLSForSentinelMode = url.startsWith('rediss://');
    options.sentinelRetryStrategy = reconnectDelay;
    // Without it, ioredis notices a planned failover only when the old master drops the connection, and writes
    // acknowledged by the old master in between are lost when it becomes a replica. With it, the client listens
    // for the sentinels' +switch-master message and reconnects to the new master at once.
    options.failoverDetector = true;
    // A write that reaches a master demoted to a replica fails with READONLY. Reconnecting makes the client query the sentinels again.
    options.reconnectOnError = (error) => error.message.startsWith('READONLY');
  }
  const redis = new Redis(url, options);
  const address = sentinel === undefined ? describeRedisUrl(url) : `${describeSentinels(sentinel)} (${describeRedisUrl(url)})`;
  let reported = false;
  let started = false;
  let lastError: unknown;
  redis.on('error', (error: unknown) => {
    lastError = error;
    // A failure during the start is reported once, by the error thrown below.
    if (started && !reported) {
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
    const hint = sentinel === undefined ? '' : sentinelHint(reason, sentinel.master);
    throw new Error(`Cannot connect to Redis at ${address} (REDIS_URL${sentinel === undefined ? '' : ', PROPUSK_REDIS_SENTINELS'}): ${hint}${reason}`, { cause });
  } finally {
    clearTimeout(timer);
  }
  started = true;
  return redis;
}

/** Name the Sentinel setting to fix for a failed first connection, from ioredis's error text, or return '' when unknown. */
function sentinelHint(reason: string, master: string): string {
  if (reason.includes('No such master')) {
    return `the sentinels monitor no master named "${master}"; set PROPUSK_REDIS_SENTINEL_MASTER to the name in their "sentinel monitor" line. Details: `;
  }
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(reason)) {
    return 'a password was missing or wrong; PROPUSK_REDIS_SENTINEL_PASSWORD is the sentinels\' password and the password in REDIS_URL is the master\'s. Details: ';
  }
  if (/All sentinels are unreachable|Connection is closed|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/.test(reason)) {
    return 'no sentinel in PROPUSK_REDIS_SENTINELS answered; check the host:port addresses and that the sentinels run. Details: ';
  }
  return '';
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
