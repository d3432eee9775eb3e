import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../storage/schema.js';
import { deleteThrottleCounter, hitThrottleCounter, readThrottleCounters, undoThrottleCounter } from '../storage/throttle-counters.js';
import type { CounterStore } from './counter-store.js';
import { doublingsToCap } from './policies.js';

export interface DatabaseCounterStoreOptions {
  /**
   * Run the operations of one request in one SQLite write transaction. Every
   * SQLite commit locks the file and appends to the WAL, so one commit for the
   * three or four keys of a token request costs less CPU than one per key.
   * PostgreSQL commits in its own process, and a transaction there would only
   * add round trips.
   */
  batchInTransaction?: boolean;
}

/**
 * Counters in the `throttle_counters` table: the embedded default. On
 * PostgreSQL every node shares them; on SQLite they belong to the one
 * process that owns the file. Housekeeping deletes expired rows.
 */
export function createDatabaseCounterStore(db: Kysely<DatabaseSchema>, options: DatabaseCounterStoreOptions = {}): CounterStore {
  const store = counterStoreOn(db);
  if (options.batchInTransaction !== true) {
    return store;
  }
  return { ...store, batch: (fn) => inWriteTransaction(db, (connection) => fn(counterStoreOn(connection))) };
}

function counterStoreOn(db: Kysely<DatabaseSchema>): CounterStore {
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

/**
 * Run `fn` in one SQLite transaction. Propusk's SQLite driver begins every
 * transaction IMMEDIATE (src/storage/sqlite-group-commit.ts), which takes the
 * write lock at the start, so busy_timeout covers the wait for another
 * process's writer. A deferred transaction that first reads and then writes
 * could fail with SQLITE_BUSY without waiting.
 */
function inWriteTransaction<T>(db: Kysely<DatabaseSchema>, fn: (transaction: Kysely<DatabaseSchema>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
