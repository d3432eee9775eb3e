import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { prepareDummyHash } from '../identity/password/hash.js';
import { ensureKeys, loadKeys, type LoadedKeys } from '../keys/keystore.js';
import { resolveMasterKey } from '../keys/master-key.js';
import { createSealer, type Sealer } from '../keys/sealer.js';
import { openDatabase, type Store } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations/migrate.js';

/** Everything a running Propusk process holds: the database, the keys, the sealer. */
export interface Runtime {
  config: Config;
  logger: Logger;
  store: Store;
  sealer: Sealer;
  keys: LoadedKeys;
}

/** Open the database, apply migrations, and load (or on first start create) the keys. */
export async function openRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const store = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrateToLatest(store, logger);
    const master = await resolveMasterKey(config.masterKey, config.dataDir);
    if (master.generated) {
      logger.warn({ dataDir: config.dataDir }, 'generated a new master key in the data directory; back it up, or set PROPUSK_MASTER_KEY');
    }
    const sealer = createSealer(master.key);
    const created = await store.db.transaction().execute((trx) => ensureKeys(trx, sealer));
    if (created) {
      logger.info('generated signing and cookie keys');
    }
    const keys = await loadKeys(store.db, sealer);
    await prepareDummyHash();
    return { config, logger, store, sealer, keys };
  } catch (error) {
    await store.close();
    throw error;
  }
}
