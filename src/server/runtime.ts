import type { Logger } from 'pino';
import { createAuditLog } from '../audit/log.js';
import type { AuditLog } from '../audit/events.js';
import type { Config } from '../config/load.js';
import type { PasswordHasher } from '../identity/password/hash.js';
import { createHashPool, type HashPool } from '../identity/password/hash-pool.js';
import { createPooledPasswordHasher } from '../identity/password/hash-pooled.js';
import { openIdentifierCipher } from '../keys/identifier-cipher.js';
import { ensureKeys, loadKeys, type LoadedKeys } from '../keys/keystore.js';
import { resolveMasterKey } from '../keys/master-key.js';
import { enqueueLogoutForEndedSessions } from '../logout/index.js';
import { createSealer, type Sealer } from '../keys/sealer.js';
import { openDatabase, type Store } from '../storage/database.js';
import { runDataMigrations } from '../storage/data-migrations/run.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { migrateToLatest } from '../storage/migrations/migrate.js';
import { createSessionEvents, type SessionEvents } from '../sessions/events.js';

/** Everything a running Propusk process holds: the database, the keys, the sealer, the audit log. */
export interface Runtime {
  config: Config;
  logger: Logger;
  store: Store;
  sealer: Sealer;
  keys: LoadedKeys;
  audit: AuditLog;
  /** Encrypts and looks up phones, e-mails and СНИЛС in the identifiers table. */
  identifiers: IdentifierCipher;
  /** Listeners told when the server or an operator ends a person's sessions. */
  sessionEvents: SessionEvents;
  /** Password hashing on the worker pool, with its admission control. */
  passwords: PasswordHasher;
  /** The worker pool behind `passwords`: its statistics for metrics, and close() at shutdown. */
  hashPool: HashPool;
}

/** Open the database, apply migrations, and load (or on first start create) the keys. */
export async function openRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const store = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger });
  let hashPool: HashPool | undefined;
  try {
    await migrateToLatest(store, logger);
    const master = await resolveMasterKey(config.masterKey, config.dataDir);
    if (master.generated) {
      logger.warn({ dataDir: config.dataDir }, 'generated a new master key in the data directory; back it up, or set PROPUSK_MASTER_KEY');
    }
    const sealer = createSealer(master.key);
    // Data migrations run here, after the schema ones, because they need the master key.
    const identifiers = await openIdentifierCipher(store.db, master.key);
    await runDataMigrations(store, { identifiers }, logger);
    const created = await store.db.transaction().execute((trx) => ensureKeys(trx, sealer));
    if (created) {
      logger.info('generated signing and cookie keys');
    }
    const keys = await loadKeys(store.db, sealer);
    hashPool = createHashPool({ threads: config.hashThreads, maxWaitMs: config.hashMaxWaitMs, logger });
    const passwords = createPooledPasswordHasher(hashPool);
    await passwords.prepare();
    const sessionEvents = createSessionEvents(logger);
    // Any process that ends sessions (a server, or the CLI blocking a person)
    // queues their back-channel logouts, and the servers' workers deliver them.
    sessionEvents.onSessionsEnded(async (event) => {
      await enqueueLogoutForEndedSessions(store.db, event);
    });
    return { config, logger, store, sealer, keys, audit: createAuditLog(store, logger), identifiers, sessionEvents, passwords, hashPool };
  } catch (error) {
    await hashPool?.close();
    await store.close();
    throw error;
  }
}
