import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../storage/schema.js';
import { deleteThrottleCounter, hitThrottleCounter, readThrottleBlock, undoThrottleCounter } from '../storage/throttle-counters.js';
import type { CounterStore } from './counter-store.js';
import { doublingsToCap } from './policies.js';

/**
 * Counters in the `throttle_counters` table: the embedded default. On
 * PostgreSQL every node shares them; on SQLite they belong to the one
 * process that owns the file. Housekeeping deletes expired rows.
 */
export function createDatabaseCounterStore(db: Kysely<DatabaseSchema>): CounterStore {
  return {
    hit: (key, policy, now, attemptId) => hitThrottleCounter(db, key, { ...policy, doublingsToCap: doublingsToCap(policy) }, now, attemptId),
    undo: (key, attemptId, now) => undoThrottleCounter(db, key, attemptId, now),
    blockedUntil: (key, now) => readThrottleBlock(db, key, now),
    reset: (key) => deleteThrottleCounter(db, key),
    // The database belongs to the runtime, which closes it.
    close: async () => {},
  };
}
