import { initialMigration } from './0001_initial.js';
import type { DialectMigration } from './dialect-migration.js';

/**
 * Every migration, by name. Names sort in the order they must run, and a
 * released name never changes because the database records it.
 */
export const MIGRATIONS: Readonly<Record<string, DialectMigration>> = {
  '0001_initial': initialMigration,
};
