import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * A migration written once for both databases. It receives the dialect so
 * that the few differences (such as identity columns) are decided in one
 * helper instead of in two copies of the migration.
 */
export interface DialectMigration {
  // Kysely<any>: a migration must not depend on the current schema type,
  // which describes the tables after the last migration.
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
}

/** Column modifier for an auto-incrementing integer primary key. */
export function identityPrimaryKey(
  dialect: DialectName,
): (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  if (dialect === 'sqlite') {
    return (column) => column.primaryKey().autoIncrement();
  }
  return (column) => column.primaryKey().generatedAlwaysAsIdentity();
}
