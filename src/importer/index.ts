import type { Sealer } from '../keys/sealer.js';
import type { Store } from '../storage/database.js';
import { applyImport } from './apply.js';
import { readJsonFile } from './json-file.js';
import { hashInitialPasswords } from './passwords.js';
import { buildPlan } from './plan.js';
import type { ImportSummary } from './summary.js';
import { validateImport } from './validate.js';

export type { ImportSummary, RecordCounts } from './summary.js';

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
  sealer: Sealer,
  data: unknown,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const now = options.now ?? Date.now();
  const validated = await validateImport(store.db, data, { now });
  const passwordHashes = await hashInitialPasswords(store.db, validated.people);
  const plan = buildPlan(validated, sealer, passwordHashes);
  return applyImport(store, plan);
}

/** Read a JSON file and import it; a JSON syntax error names the file, line and column. */
export async function importFile(store: Store, sealer: Sealer, path: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const data = await readJsonFile(path);
  return importRecords(store, sealer, data, options);
}
