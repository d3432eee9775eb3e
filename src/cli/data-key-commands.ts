import type { Logger } from 'pino';
import { createAuditLog } from '../audit/log.js';
import type { Config } from '../config/load.js';
import { deleteRetiredDataKeys, rotateDataKey } from '../keys/data-keys.js';
import { openIdentifierCipher } from '../keys/identifier-cipher.js';
import { reencryptIdentifiers } from '../keys/identifier-reencryption.js';
import { resolveMasterKey } from '../keys/master-key.js';
import { createSealer, type Sealer } from '../keys/sealer.js';
import { openDatabase, withTransaction, type Store } from '../storage/database.js';
import { runDataMigrations } from '../storage/data-migrations/run.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { countIdentifiersByKeyVersion } from '../storage/identifier-key-versions.js';
import { migrateToLatest } from '../storage/migrations/migrate.js';

export interface MigratedStore {
  store: Store;
  sealer: Sealer;
  identifiers: IdentifierCipher;
  /** Schema migrations, then data migrations, that this call applied. */
  applied: string[];
}

/**
 * Open the database and bring it up to date: the schema migrations, then
 * the data migrations, which need the master key. For commands that do not
 * start the server; `openRuntime` does the same for those that do.
 */
export async function openMigratedStore(config: Config, logger: Logger): Promise<MigratedStore> {
  const store = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    const schema = await migrateToLatest(store, logger);
    const master = await resolveMasterKey(config.masterKey, config.dataDir);
    if (master.generated) {
      logger.warn({ dataDir: config.dataDir }, 'generated a new master key in the data directory; back it up, or set PROPUSK_MASTER_KEY');
    }
    const identifiers = await openIdentifierCipher(store.db, master.key);
    const data = await runDataMigrations(store, { identifiers }, logger);
    return { store, sealer: createSealer(master.key), identifiers, applied: [...schema, ...data] };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Run `propusk keys rotate-data`: make a new identifier data key current and
 * re-encrypt every row with it in small batches. Running nodes keep serving
 * and load the new key when they first read a row that uses it. Keys older
 * than the previous one that no row uses are deleted. The lookup hashes do
 * not change, so logins keep working, and no restart is needed.
 */
export async function rotateDataKeyCommand(config: Config, logger: Logger): Promise<void> {
  const { store, sealer, identifiers } = await openMigratedStore(config, logger);
  try {
    const version = await withTransaction(store, (trx) => rotateDataKey(trx, sealer));
    logger.info({ version }, 'new identifier data key is current; re-encrypting identifiers');
    const result = await reencryptIdentifiers(store.db, identifiers);
    const remaining = [...(await countIdentifiersByKeyVersion(store.db))].filter(([keyVersion]) => keyVersion < result.keyVersion);
    const deleted = await deleteRetiredDataKeys(store.db, result.keyVersion);
    logger.info({ ...result, deletedVersions: deleted, rowsOnOlderKeys: Object.fromEntries(remaining) }, 'identifier data key rotated');
    await createAuditLog(store, logger).record({
      type: 'keys.rotated',
      details: { key: 'identifier-data', version: result.keyVersion, reencrypted: result.reencrypted, deleted: deleted.length },
    });
  } finally {
    await store.close();
  }
}
