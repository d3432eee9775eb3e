import type { Kysely } from 'kysely';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import { listIdentifiers } from '../storage/identifiers.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { Person, PersonProfile } from '../storage/types.js';

/**
 * Build the standard OIDC person claims, which oidc-provider releases by
 * scope. The СНИЛС is never a claim. With `withContacts` false the e-mail and
 * phone are left out, which spares reading and decrypting the identifiers.
 */
export async function personClaims(
  db: Kysely<DatabaseSchema>,
  cipher: IdentifierCipher,
  person: PersonProfile,
  withContacts = true,
): Promise<Record<string, unknown>> {
  const identifiers = withContacts ? await listIdentifiers(db, cipher, person.id) : [];
  const email = identifiers.find((identifier) => identifier.kind === 'email');
  const phone = identifiers.find((identifier) => identifier.kind === 'phone');
  const name = fullName(person);

  const claims: Record<string, unknown> = {
    family_name: person.familyName,
    given_name: person.givenName,
    name,
  };
  if (person.middleName !== null) {
    claims.middle_name = person.middleName;
  }
  if (person.birthdate !== null) {
    claims.birthdate = person.birthdate;
  }
  if (email !== undefined) {
    claims.email = email.display ?? email.value;
    claims.email_verified = email.verified;
  }
  if (phone !== undefined) {
    claims.phone_number = phone.value;
    claims.phone_number_verified = phone.verified;
  }
  return claims;
}

/** «Иванова Мария Петровна»: the OIDC `name` claim and the account line on the home page. */
export function fullName(person: Pick<Person, 'familyName' | 'givenName' | 'middleName'>): string {
  return [person.familyName, person.givenName, person.middleName].filter((part) => part !== null && part !== '').join(' ');
}

/** «Мария Петровна»: how pages greet a person. */
export function displayName(person: Pick<Person, 'familyName' | 'givenName' | 'middleName'>): string {
  return [person.givenName, person.middleName].filter((part) => part !== null && part !== '').join(' ') || person.familyName;
}
