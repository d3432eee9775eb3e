import type { Store } from './database.js';
import { deleteExpiredGrantRoles } from './grant-roles.js';
import { deleteExpired } from './oidc-adapter.js';
import { deleteExpiredSessionActivity } from './session-activity.js';
import { deleteExpiredSessionStates } from './session-state.js';
import { deleteExpiredThrottleCounters } from './throttle-counters.js';

export interface PurgeCounts {
  oidcPayloads: number;
  sessionStates: number;
  grantRoles: number;
  throttleCounters: number;
  sessionActivity: number;
}

/** Delete every record that expired at or before `now` (epoch ms) and return how many of each. */
export async function purgeExpired(store: Store, now: number): Promise<PurgeCounts> {
  return {
    oidcPayloads: await deleteExpired(store, now),
    sessionStates: await deleteExpiredSessionStates(store.db, now),
    grantRoles: await deleteExpiredGrantRoles(store.db, now),
    throttleCounters: await deleteExpiredThrottleCounters(store.db, now),
    sessionActivity: await deleteExpiredSessionActivity(store.db, now),
  };
}
