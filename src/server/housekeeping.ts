import type { Logger } from 'pino';
import { pruneAuditLog } from '../audit/retention.js';
import { endExpiredSessionsWithLogout } from '../logout/index.js';
import type { Store } from '../storage/database.js';
import { purgeExpired } from '../storage/housekeeping.js';

/** How often expired sessions, codes, tokens and role bindings are deleted. */
export const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Delete expired records on a timer. Reads already ignore expired rows; this
 * only keeps the tables small. The timer does not keep the process alive.
 */
export function startHousekeeping(store: Store, logger: Logger, auditRetentionDays: number, intervalMs = PURGE_INTERVAL_MS): { stop(): void } {
  const run = async () => {
    try {
      const now = Date.now();
      // First, so that expired sessions end with a back-channel logout instead of a silent delete.
      const logouts = await endExpiredSessionsWithLogout(store, now);
      const counts = await purgeExpired(store, now);
      const auditRecords = await pruneAuditLog(store, auditRetentionDays, now);
      logger.debug({ counts, logouts, auditRecords }, 'expired records purged');
    } catch (error) {
      logger.error({ err: error }, 'purging expired records failed; will retry');
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
