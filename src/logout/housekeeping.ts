import type { Store } from '../storage/database.js';
import { deleteFinishedLogouts } from './queue-store.js';
import { endExpiredSessions } from './sessions.js';

/** How long delivered and failed rows stay in the queue, for an operator to inspect. */
const FINISHED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface LogoutHousekeepingCounts {
  expiredSessions: number;
  logoutsQueued: number;
  finishedLogoutsDeleted: number;
}

/**
 * End expired SSO sessions with a back-channel logout to their services,
 * then drop old finished deliveries. Run it before the general purge of
 * expired records, which would delete those sessions without a logout.
 */
export async function endExpiredSessionsWithLogout(store: Store, now: number): Promise<LogoutHousekeepingCounts> {
  const ended = await endExpiredSessions(store, now);
  return {
    expiredSessions: ended.sessions,
    logoutsQueued: ended.logouts,
    finishedLogoutsDeleted: await deleteFinishedLogouts(store.db, now - FINISHED_RETENTION_MS),
  };
}
