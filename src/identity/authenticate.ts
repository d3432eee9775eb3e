import type { Kysely } from 'kysely';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { findLoginAccount, setPasswordHash } from '../storage/people.js';
import type { IdentifierKind } from './identifiers/parse.js';
import { readLoginIdentifier } from './identifiers/parse.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password/hash.js';

export type AuthenticationResult =
  | { outcome: 'success'; personId: string; identifierKind: IdentifierKind }
  | { outcome: 'unrecognized_identifier' }
  | { outcome: 'invalid_credentials' };

/**
 * Check a login and password. Every reading of the input (an 11-digit number
 * can be a phone and a СНИЛС) costs exactly one password verification, against
 * the real hash or a dummy, so neither the answer nor its timing shows whether
 * an identifier exists. A blocked person fails like a wrong password.
 */
export async function authenticate(
  db: Kysely<DatabaseSchema>,
  cipher: IdentifierCipher,
  login: string,
  password: string,
): Promise<AuthenticationResult> {
  const readings = readLoginIdentifier(login);
  if (readings.length === 0) {
    return { outcome: 'unrecognized_identifier' };
  }

  let success: AuthenticationResult | undefined;
  for (const reading of readings) {
    const person = await findLoginAccount(db, cipher, reading.kind, reading.value);
    if (person?.passwordHash === null || person?.passwordHash === undefined) {
      await verifyAgainstDummy(password);
      continue;
    }

    const verification = await verifyPassword(person.passwordHash, password);
    if (verification.ok && person.status === 'active' && success === undefined) {
      success = { outcome: 'success', personId: person.id, identifierKind: reading.kind };
      if (verification.needsRehash) {
        await setPasswordHash(db, person.id, await hashPassword(password));
      }
    }
  }
  return success ?? { outcome: 'invalid_credentials' };
}
