import { identityPrimaryKey, type DialectMigration } from './dialect-migration.js';

/*
 * The queue of back-channel logout deliveries (OpenID Connect Back-Channel
 * Logout 1.0): one row per service and ended session. The logout token is
 * signed at each attempt, because it is valid for two minutes only, so the
 * row stores what goes into it (sub, sid) and never the token itself.
 */
export const backchannelLogoutMigration: DialectMigration = {
  async up(db, dialect) {
    await db.schema
      .createTable('backchannel_logouts')
      .addColumn('id', 'integer', identityPrimaryKey(dialect))
      .addColumn('client_id', 'text', (column) => column.notNull())
      .addColumn('sub', 'text', (column) => column.notNull())
      .addColumn('sid', 'text', (column) => column.notNull())
      // Why the session ended: logout, expired or revoked.
      .addColumn('reason', 'text', (column) => column.notNull())
      // pending, delivered or failed (no attempts left, or the service dropped its URI).
      .addColumn('state', 'text', (column) => column.notNull())
      .addColumn('attempts', 'integer', (column) => column.notNull())
      // While a worker holds the row, this is the end of its lease.
      .addColumn('next_attempt_at', 'bigint', (column) => column.notNull())
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('delivered_at', 'bigint')
      // A session's sid for a service is unique, so enqueuing one ended session twice adds nothing.
      .addUniqueConstraint('backchannel_logouts_client_sid_unique', ['client_id', 'sid'])
      .execute();
    await db.schema
      .createIndex('backchannel_logouts_due_index')
      .on('backchannel_logouts')
      .columns(['state', 'next_attempt_at'])
      .execute();
  },
};
