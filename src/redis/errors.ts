import { ReplyError } from 'ioredis';
import type { Logger } from 'pino';
import { StorageError, TemporarilyUnavailableError } from '../errors/index.js';

/**
 * Seconds a client is asked to wait while Redis is unreachable. The client
 * reconnects at least every 2 s (src/redis/client.ts), so a node notices that
 * Redis is back within that time; the rest is margin.
 */
export const REDIS_RETRY_AFTER_SECONDS = 5;

/**
 * Error replies that Redis sends while it cannot serve for a while: loading
 * its data after a restart, a long script running, a replica during a
 * failover, no memory left under maxmemory.
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * Classify a failed Redis command. An error reply that Redis would send again
 * (a wrong type, a script error) is a storage bug: StorageError, 500. Anything
 * else (no connection, a command timeout, a transient reply) means Redis is
 * unavailable for now: TemporarilyUnavailableError, 503 with Retry-After.
 */
export function redisFailure(error: unknown, operation: string): StorageError | TemporarilyUnavailableError {
  // The reason stays in `cause`, which the log's error serializer prints after the message.
  if (error instanceof ReplyError && !TRANSIENT_REPLY.test((error as Error).message)) {
    return new StorageError(`Redis rejected ${operation}`, { cause: error });
  }
  return new TemporarilyUnavailableError(`Redis unavailable during ${operation}`, REDIS_RETRY_AFTER_SECONDS, { cause: error });
}

/** Interval between two log lines about failed Redis commands of one purpose. */
const REPORT_INTERVAL_MS = 10_000;

export type RedisFailureReport = (failure: StorageError | TemporarilyUnavailableError) => void;

/**
 * Log failed Redis commands at most once per REPORT_INTERVAL_MS, with the
 * number held back since the last line: during an outage every request
 * fails the same way. src/redis/client.ts logs the connection's own error
 * once per outage, but a stalled server only times commands out.
 */
export function reportRedisFailures(logger: Logger, purpose: string, clock: () => number = Date.now): RedisFailureReport {
  let reportedAt = -Infinity;
  let suppressed = 0;
  return (failure) => {
    const now = clock();
    if (now - reportedAt < REPORT_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    logger.error({ err: failure, purpose, suppressedRepeats: suppressed }, 'Redis command failed');
    reportedAt = now;
    suppressed = 0;
  };
}

/** Run Redis commands and turn their failure into a Propusk error (see redisFailure), reported to `report` when given. */
export async function callRedis<T>(operation: string, run: () => Promise<T>, report?: RedisFailureReport): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const failure = redisFailure(error, operation);
    report?.(failure);
    throw failure;
  }
}
