import type { DialectMigration } from './dialect-migration.js';

/*
 * Failed-attempt counters of the throttling. `counter_key` is the scope and
 * an HMAC of the identifier or address, never the identifier itself. A row
 * whose `expires_at` has passed counts as absent; housekeeping deletes it.
 */
export const throttlingMigration: DialectMigration = {
  async up(db) {
    await db.schema
      .createTable('throttle_counters')
      .addColumn('counter_key', 'text', (column) => column.primaryKey())
      .addColumn('failures', 'integer', (column) => column.notNull())
      .addColumn('blocked_until', 'bigint', (column) => column.notNull())
      // blocked_until before the latest attempt, restored when that attempt is taken back.
      .addColumn('previous_blocked_until', 'bigint', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      // Random id of the latest attempt that was let through.
      .addColumn('last_attempt', 'text', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('throttle_counters_expires_at_index').on('throttle_counters').column('expires_at').execute();
  },
};
