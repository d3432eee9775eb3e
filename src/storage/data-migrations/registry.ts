import { encryptIdentifiersMigration } from './0005_encrypt_identifiers.js';
import type { DataMigration } from './data-migration.js';

/**
 * Every data migration, by name. Names sort in run order and share the
 * number of the schema migration they complete. A released name never
 * changes because the data_migrations table records it.
 */
export const DATA_MIGRATIONS: Readonly<Record<string, DataMigration>> = {
  '0005_encrypt_identifiers': encryptIdentifiersMigration,
};
