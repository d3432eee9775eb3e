import type { Kysely } from 'kysely';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { findLoginAccount, setPasswordHash } from '../storage/people.js';
import type { IdentifierKind } from './identifiers/parse.js';
import { readLoginIdentifier } from './identifiers/parse.js';
import { OverloadedError } from '../errors/index.js';
import type { HashAdmission, PasswordHasher } from './password/hash.js';

export type AuthenticationResult =
  | { outcome: 'success'; personId: string; identifierKind: IdentifierKind }
  | { outcome: 'unrecognized_identifier' }
  | { outcome: 'invalid_credentials' };

/**
 * Check a login and password. Every reading of the input (an 11-digit number
 * can be a phone and a СНИЛС) costs exactly one password verification, against
 * the real hash or a dummy, so neither the answer nor its timing shows whether
 * an identifier exists. A blocked person fails like a wrong password.
 *
 * Raises OverloadedError when the hasher rejects the first verification.
 * Later readings wait for the hasher instead, so a login that was admitted
 * is finished and no hash is spent on a login that then fails with 503.
 */
export async function authenticate(
  db: Kysely<DatabaseSchema>,
  cipher: IdentifierCipher,
  passwords: PasswordHasher,
  login: string,
  password: string,
): Promise<AuthenticationResult> {
  const readings = readLoginIdentifier(login);
  if (readings.length === 0) {
    return { outcome: 'unrecognized_identifier' };
  }

  let success: AuthenticationResult | undefined;
  let admission: HashAdmission = 'reject';
  for (const reading of readings) {
    const person = await findLoginAccount(db, cipher, reading.kind, reading.value);
    const options = { admission };
    admission = 'wait';
    if (person?.passwordHash === null || person?.passwordHash === undefined) {
      await passwords.verifyAgainstDummy(password, options);
      continue;
    }

    const verification = await passwords.verifyPassword(person.passwordHash, password, options);
    if (verification.ok && person.status === 'active' && success === undefined) {
      success = { outcome: 'success', personId: person.id, identifierKind: reading.kind };
      if (verification.needsRehash) {
        await upgradeHash(db, passwords, person.id, password);
      }
    }
  }
  return success ?? { outcome: 'invalid_credentials' };
}

/**
 * Store a hash with the current parameters. Under overload the upgrade is
 * skipped, because the old hash still verifies and the next login retries it.
 */
async function upgradeHash(db: Kysely<DatabaseSchema>, passwords: PasswordHasher, personId: string, password: string): Promise<void> {
  let upgraded: string;
  try {
    upgraded = await passwords.hashPassword(password);
  } catch (error) {
    if (error instanceof OverloadedError) {
      return;
    }
    throw error;
  }
  await setPasswordHash(db, personId, upgraded);
}
