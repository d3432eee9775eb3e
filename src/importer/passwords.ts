import type { Kysely } from 'kysely';
import { hashPassword } from '../identity/password/hash.js';
import { findPersonByExternalId } from '../storage/people.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { PersonRecord } from './format.js';
import type { Positioned } from './validate.js';

/**
 * Hash the `initial_password` of each person who has no stored password yet,
 * and return the hashes by external id. Runs before the write transaction
 * because argon2 takes tens of milliseconds per password, which would hold
 * the database's write lock that long. People who already have a password
 * are skipped here, and the write step checks again, so a re-import never
 * replaces a password that its owner changed.
 */
export async function hashInitialPasswords(
  db: Kysely<DatabaseSchema>,
  people: readonly Positioned<PersonRecord>[],
): Promise<Map<string, string>> {
  const pending: Array<{ externalId: string; password: string }> = [];
  for (const { record } of people) {
    if (record.initial_password === null) {
      continue;
    }
    const stored = await findPersonByExternalId(db, record.id);
    if (stored === undefined || stored.passwordHash === null) {
      pending.push({ externalId: record.id, password: record.initial_password });
    }
  }

  // Each hash runs on the libuv thread pool, which bounds how many run at once.
  const hashed = await Promise.all(
    pending.map(async ({ externalId, password }) => [externalId, await hashPassword(password)] as const),
  );
  return new Map(hashed);
}
