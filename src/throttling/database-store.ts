import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../storage/schema.js';
import { deleteThrottleCounter, hitThrottleCounter, readThrottleCounters, undoThrottleCounter } from '../storage/throttle-counters.js';
import type { CounterStore } from './counter-store.js';
import { doublingsToCap } from './policies.js';

/**
 * Counters in the `throttle_counters` table: the embedded default. On
 * PostgreSQL every node shares them. On SQLite they belong to the processes
 * that share the file, and the writes of one attempt, which the throttle
 * issues together, share one commit with each other and with other requests'
 * writes (group commit, src/storage/sqlite-group-commit.ts). Housekeeping
 * deletes expired rows.
 */
export function createDatabaseCounterStore(db: Kysely<DatabaseSchema>): CounterStore {
  return {
    hit: (key, policy, now, attemptId, countWhileDelayed) =>
      hitThrottleCounter(db, key, { ...policy, doublingsToCap: doublingsToCap(policy) }, now, attemptId, countWhileDelayed),
    undo: (key, attemptId, now) => undoThrottleCounter(db, key, attemptId, now),
    read: (keys, now) => readThrottleCounters(db, keys, now),
    reset: (key) => deleteThrottleCounter(db, key),
    // The database belongs to the runtime, which closes it.
    close: async () => {},
  };
}
