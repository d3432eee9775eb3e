import { Redis } from 'ioredis';
import type { Logger } from 'pino';

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
 */
export async function openRedisClient(url: string, logger: Logger, purpose: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectionName: `propusk-${purpose}`,
    // Reconnect quickly at first, then every 2 s at most.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  let reported = false;
  redis.on('error', (error: unknown) => {
    if (!reported) {
      reported = true;
      logger.error({ err: error, redis: describeRedisUrl(url), purpose }, 'Redis connection failed; requests that need it fail until it is back');
    }
  });
  redis.on('ready', () => {
    if (reported) {
      reported = false;
      logger.info({ redis: describeRedisUrl(url), purpose }, 'Redis connection restored');
    }
  });
  try {
    await redis.connect();
  } catch (cause) {
    redis.disconnect();
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`Cannot connect to Redis at ${describeRedisUrl(url)} (REDIS_URL): ${reason}`, { cause });
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
