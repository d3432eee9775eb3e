import { initialMigration } from './0001_initial.js';
import { auditLogMigration } from './0002_audit_log.js';
import { throttlingMigration } from './0003_throttling.js';
import { backchannelLogoutMigration } from './0004_backchannel_logout.js';
import { identifierEncryptionMigration } from './0005_identifier_encryption.js';
import { sessionsMigration } from './0006_sessions.js';
import { idTokenAlgorithmMigration } from './0007_id_token_algorithm.js';
import type { DialectMigration } from './dialect-migration.js';

/**
 * Every migration, by name. Names sort in the order they must run, and a
 * released name never changes because the database records it.
 */
export const MIGRATIONS: Readonly<Record<string, DialectMigration>> = {
  '0001_initial': initialMigration,
  '0002_audit_log': auditLogMigration,
  '0003_throttling': throttlingMigration,
  '0004_backchannel_logout': backchannelLogoutMigration,
  '0005_identifier_encryption': identifierEncryptionMigration,
  '0006_sessions': sessionsMigration,
  '0007_id_token_algorithm': idTokenAlgorithmMigration,
};
