import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';
import type { IdentifierCipher } from '../identifier-cipher.js';

/** Keys a data migration may use beyond the database; schema migrations never get them. */
export interface DataMigrationContext {
  identifiers: IdentifierCipher;
}

/**
 * A step that rewrites stored data and needs the master key. It runs after
 * the schema migrations, inside one transaction with its bookkeeping row, so
 * it either completes and is recorded or leaves nothing behind.
 */
export interface DataMigration {
  // Kysely<any> for the same reason as DialectMigration: the current schema
  // type describes the tables after the last step, not during this one.
  up(db: Kysely<any>, dialect: DialectName, context: DataMigrationContext): Promise<void>;
}
