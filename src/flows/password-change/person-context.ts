import type { Kysely } from 'kysely';
import type { PasswordContext } from '../../identity/password/policy.js';
import type { IdentifierCipher } from '../../storage/identifier-cipher.js';
import { listIdentifiers } from '../../storage/identifiers.js';
import type { DatabaseSchema } from '../../storage/schema.js';
import type { Person } from '../../storage/types.js';

/** The person's names and login identifiers, which their new password must not be. */
export async function personPasswordContext(db: Kysely<DatabaseSchema>, cipher: IdentifierCipher, person: Person): Promise<PasswordContext> {
  const identifiers = await listIdentifiers(db, cipher, person.id);
  const valuesOf = (kind: string) => identifiers.filter((identifier) => identifier.kind === kind).map((identifier) => identifier.value);
  return {
    familyName: person.familyName,
    givenName: person.givenName,
    middleName: person.middleName,
    phones: valuesOf('phone'),
    emails: valuesOf('email'),
    snils: valuesOf('snils'),
    birthdate: person.birthdate,
  };
}
