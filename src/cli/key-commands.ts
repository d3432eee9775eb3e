import type { Logger } from 'pino';
import { createAuditLog } from '../audit/log.js';
import { keysRotated } from '../audit/operator-events.js';
import type { Config } from '../config/load.js';
import { activateKeys, rotateKeys, stageKeys } from '../keys/keystore.js';
import { resolveMasterKey } from '../keys/master-key.js';
import { createSealer, type Sealer } from '../keys/sealer.js';
import { openDatabase, withTransaction, type Store } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrations/migrate.js';

/** Open the migrated database and the master key's sealer for one key command, and close the database after it. */
async function withKeyStore(config: Config, logger: Logger, command: (store: Store, sealer: Sealer) => Promise<void>): Promise<void> {
  const store = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    await migrateToLatest(store, logger);
    const master = await resolveMasterKey(config.masterKey, config.dataDir);
    await command(store, createSealer(master.key));
  } finally {
    await store.close();
  }
}

/**
 * `propusk keys stage`: add a new generation of signing and cookie keys with
 * status `next`. Nodes load it when they restart, publish its signing keys
 * and accept its cookie key, and keep signing with the current keys.
 */
export async function stageKeysCommand(config: Config, logger: Logger): Promise<void> {
  await withKeyStore(config, logger, async (store, sealer) => {
    const staged = await withTransaction(store, (trx) => stageKeys(trx, sealer));
    // Kids are public because every JWKS lists them. The operator compares them with each node's JWKS.
    const signingKids = staged.filter((key) => key.use === 'sig').map((key) => key.kid);
    logger.info(
      { signingKids },
      'key generation staged; restart every node, check that the JWKS of each node (/oidc/jwks) lists these kids, then run `propusk keys activate`',
    );
    const kids = staged.map((key) => key.kid);
    await createAuditLog(store, logger).record(keysRotated('stage', { staged: kids, activated: [], retired: [], deleted: [] }));
  });
}

/**
 * `propusk keys activate`: make the staged generation current. Nodes sign
 * with it once restarted; until then they sign with the old keys, which
 * stay published.
 */
export async function activateKeysCommand(config: Config, logger: Logger): Promise<void> {
  await withKeyStore(config, logger, async (store) => {
    const result = await withTransaction(store, (trx) => activateKeys(trx));
    logger.info(
      { activated: result.activated.length, retired: result.retired.length, deleted: result.deleted.length },
      'staged keys are current; restart every node to sign with them',
    );
    await createAuditLog(store, logger).record(keysRotated('activate', { ...result, staged: [] }));
  });
}

/**
 * `propusk keys rotate`: stage and activate in one step, which is safe on a
 * single node. Several nodes need `keys stage` and `keys activate` with a
 * restart after each, so that no node meets a key it has not loaded.
 */
export async function rotateKeysCommand(config: Config, logger: Logger): Promise<void> {
  await withKeyStore(config, logger, async (store, sealer) => {
    const result = await withTransaction(store, (trx) => rotateKeys(trx, sealer));
    logger.info(
      { stagedEarlier: result.staged.length === 0, retired: result.retired.length, deleted: result.deleted.length },
      'keys rotated; restart every node to sign with the new keys',
    );
    await createAuditLog(store, logger).record(keysRotated('rotate', result));
  });
}
