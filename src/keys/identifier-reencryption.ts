import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../storage/database.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { listIdentifiersBelowKeyVersion, resealIdentifier, type SealedIdentifierRow } from '../storage/identifier-key-versions.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';

/** Rows re-encrypted per transaction: small, so no write lock is held long. */
export const REENCRYPTION_BATCH_SIZE = 100;

/**
 * How often a running node reloads the data keys and re-encrypts rows still
 * under an older key. It bounds how long a node keeps writing with a key
 * that a rotation on another node has replaced.
 */
export const REENCRYPTION_INTERVAL_MS = 5 * 60 * 1000;

export interface ReencryptionOptions {
  /** Rows per transaction. */
  batchSize?: number;
  /** Called after each committed batch with the totals so far, for progress reports. */
  afterBatch?: (progress: Readonly<ReencryptionResult>) => Promise<void> | void;
}

export interface ReencryptionResult {
  /** The data key version the rows were moved to. */
  keyVersion: number;
  reencrypted: number;
  /** Rows another writer changed between the read and the update; they are on a current key already. */
  skipped: number;
}

/**
 * Reload the data keys, then re-encrypt every identifier under an older key
 * with the current one, in batches, each batch its own transaction. Reads
 * keep working throughout because every version stays loaded; a row is
 * updated only if it is still on the version that was read.
 */
export async function reencryptIdentifiers(
  db: Kysely<DatabaseSchema>,
  cipher: IdentifierCipher,
  options: ReencryptionOptions = {},
): Promise<ReencryptionResult> {
  const batchSize = options.batchSize ?? REENCRYPTION_BATCH_SIZE;
  await cipher.refresh(db);
  const keyVersion = cipher.currentKeyVersion;
  const result: ReencryptionResult = { keyVersion, reencrypted: 0, skipped: 0 };

  let afterId = 0;
  for (;;) {
    const rows = await listIdentifiersBelowKeyVersion(db, keyVersion, afterId, batchSize);
    const last = rows.at(-1);
    if (last === undefined) {
      return result;
    }
    const updated = await inTransaction(db, (trx) => resealBatch(trx, cipher, rows));
    result.reencrypted += updated;
    result.skipped += rows.length - updated;
    afterId = last.id;
    await options.afterBatch?.(result);
  }
}

async function resealBatch(db: Kysely<DatabaseSchema>, cipher: IdentifierCipher, rows: readonly SealedIdentifierRow[]): Promise<number> {
  let updated = 0;
  for (const row of rows) {
    const plaintext = cipher.open(row.personId, row.kind, row);
    const { valueHmac: _unchanged, ...sealed } = cipher.seal(row.personId, plaintext);
    if (await resealIdentifier(db, row.id, row.keyVersion, sealed)) {
      updated += 1;
    }
  }
  return updated;
}

/**
 * Run reencryptIdentifiers on a timer in a serving node. The timer does not
 * keep the process alive; `stop` waits for a pass in progress.
 */
export function startIdentifierReencryption(
  store: Store,
  cipher: IdentifierCipher,
  logger: Logger,
  intervalMs = REENCRYPTION_INTERVAL_MS,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = async () => {
    try {
      const result = await reencryptIdentifiers(store.db, cipher);
      if (result.reencrypted > 0) {
        logger.info(result, 'identifiers re-encrypted with the current data key');
      }
    } catch (error) {
      logger.error({ err: error }, 're-encrypting identifiers failed; will retry');
    }
  };
  const timer = setInterval(() => {
    running ??= run().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
