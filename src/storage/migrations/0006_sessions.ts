import type { DialectMigration } from './dialect-migration.js';

/*
 * One row per signed-in single sign-on session, keyed by the session's uid
 * (which survives a change of session id). It records when the person
 * authenticated and when the browser was last seen, so that the idle and
 * absolute lifetimes are enforced on the server, and it lists a person's
 * sessions so that they can all be ended at once.
 */
export const sessionsMigration: DialectMigration = {
  async up(db) {
    await db.schema
      .createTable('session_activity')
      .addColumn('session_uid', 'text', (column) => column.primaryKey())
      .addColumn('person_id', 'text', (column) => column.notNull().references('people.id').onDelete('cascade'))
      .addColumn('authenticated_at', 'bigint', (column) => column.notNull())
      .addColumn('last_active_at', 'bigint', (column) => column.notNull())
      .addColumn('shared_device', 'integer', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('session_activity_person_id_index').on('session_activity').column('person_id').execute();
    await db.schema.createIndex('session_activity_expires_at_index').on('session_activity').column('expires_at').execute();
  },
};
