import { sql } from 'kysely';
import type { DialectMigration } from './dialect-migration.js';

/** Hash that the first audit record links to: 64 zero hex digits, which no SHA-256 output is expected to equal. */
const GENESIS_HASH = '0'.repeat(64);

/*
 * The audit log is a hash chain. `seq` is assigned by the appender under a
 * lock on the single `audit_chain` row, so it has no identity default: the
 * head row, not the database, decides the next number.
 */
export const auditLogMigration: DialectMigration = {
  async up(db) {
    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'bigint', (column) => column.primaryKey())
      .addColumn('occurred_at', 'bigint', (column) => column.notNull())
      .addColumn('type', 'text', (column) => column.notNull())
      // No foreign key: the record must outlive the person it names.
      .addColumn('person_id', 'text')
      .addColumn('client_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('request_id', 'text')
      .addColumn('details', 'text', (column) => column.notNull())
      .addColumn('prev_hash', 'text', (column) => column.notNull())
      .addColumn('hash', 'text', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('audit_events_person_id_seq_index').on('audit_events').columns(['person_id', 'seq']).execute();
    await db.schema.createIndex('audit_events_occurred_at_index').on('audit_events').column('occurred_at').execute();

    await db.schema
      .createTable('audit_chain')
      .addColumn('id', 'integer', (column) => column.primaryKey())
      .addColumn('last_seq', 'bigint', (column) => column.notNull())
      .addColumn('last_hash', 'text', (column) => column.notNull())
      .addColumn('anchor_seq', 'bigint', (column) => column.notNull())
      .addColumn('anchor_hash', 'text', (column) => column.notNull())
      .addCheckConstraint('audit_chain_single_row', sql`id = 1`)
      .execute();
    await db
      .insertInto('audit_chain')
      .values({ id: 1, last_seq: 0, last_hash: GENESIS_HASH, anchor_seq: 0, anchor_hash: GENESIS_HASH })
      .execute();
  },
};
