// Keys for storage tests that touch identifiers: a random master key, its
// sealer and the identifier cipher, on a store that migrateToLatest has run on.
import { randomBytes } from 'node:crypto';
import { openIdentifierCipher } from '../../src/keys/identifier-cipher.js';
import { createSealer, type Sealer } from '../../src/keys/sealer.js';
import type { Store } from '../../src/storage/database.js';
import { runDataMigrations } from '../../src/storage/data-migrations/run.js';
import type { IdentifierCipher } from '../../src/storage/identifier-cipher.js';

export interface TestKeys {
  masterKey: Buffer;
  sealer: Sealer;
  identifiers: IdentifierCipher;
}

/**
 * Create data key version 1 and the cipher, then run the data migrations as
 * openRuntime does, so the store ends in the shape a running node sees.
 */
export async function openTestKeys(store: Store, masterKey: Buffer = randomBytes(32)): Promise<TestKeys> {
  const identifiers = await openIdentifierCipher(store.db, masterKey);
  await runDataMigrations(store, { identifiers });
  return { masterKey, sealer: createSealer(masterKey), identifiers };
}
