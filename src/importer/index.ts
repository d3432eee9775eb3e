import type { Sealer } from '../keys/sealer.js';
import type { Store } from '../storage/database.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { applyImport } from './apply.js';
import { readJsonFile } from './json-file.js';
import { hashInitialPasswords } from './passwords.js';
import { buildPlan } from './plan.js';
import type { ImportSummary } from './summary.js';
import { validateImport } from './validate.js';

export type { ImportSummary, RecordCounts } from './summary.js';

/** The keys an import writes with: client secrets are sealed, identifiers encrypted. A Runtime fits. */
export interface ImportKeys {
  sealer: Sealer;
  identifiers: IdentifierCipher;
}

export interface ImportOptions {
  /** Current time in epoch milliseconds, for the birthdate check; defaults to the clock. */
  now?: number;
}

/**
 * Import school records (organizations, services, people) into the store.
 * Every problem in `data` is collected first; if there is any, throws an
 * ImportError listing them all and writes nothing. Otherwise one
 * transaction writes everything, and a database error rolls it all back.
 * Importing the same data again changes nothing and keeps every person's
 * id, role ids and password.
 */
export async function importRecords(
  store: Store,
  keys: ImportKeys,
  data: unknown,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const now = options.now ?? Date.now();
  const validated = await validateImport(store.db, keys.identifiers, data, { now });
  const passwordHashes = await hashInitialPasswords(store.db, validated.people);
  const plan = buildPlan(validated, keys.sealer, passwordHashes);
  return applyImport(store, keys.identifiers, plan);
}

/** Read a JSON file and import it; a JSON syntax error names the file, line and column. */
export async function importFile(store: Store, keys: ImportKeys, path: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const data = await readJsonFile(path);
  return importRecords(store, keys, data, options);
}
