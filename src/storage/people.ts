import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { IdentifierCipher } from './identifier-cipher.js';
import { toPerson } from './person-rows.js';
import type { DatabaseSchema } from './schema.js';
import type { IdentifierKind, Person, PersonInput } from './types.js';

type Db = Kysely<DatabaseSchema>;

export async function findPersonById(db: Db, id: string): Promise<Person | undefined> {
  const row = await db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toPerson(row);
}

export async function findPersonByExternalId(db: Db, externalId: string): Promise<Person | undefined> {
  const row = await db.selectFrom('people').selectAll().where('external_id', '=', externalId).executeTakeFirst();
  return row === undefined ? undefined : toPerson(row);
}

/**
 * Return the ids of the people holding `value` (normalised) as an identifier
 * of any of `kinds`. A value is unique within one kind, but the same text may
 * be one person's phone and another's СНИЛС, hence a list. The match is on
 * the keyed hash, so nothing is decrypted.
 */
export async function findPeopleByIdentifier(
  db: Db,
  cipher: IdentifierCipher,
  kinds: IdentifierKind | readonly IdentifierKind[],
  value: string,
): Promise<string[]> {
  const kindList = typeof kinds === 'string' ? [kinds] : [...kinds];
  if (kindList.length === 0) {
    return [];
  }
  const rows = await db
    .selectFrom('identifiers')
    .select('person_id')
    .distinct()
    .where((eb) => eb.or(kindList.map((kind) => eb.and([eb('kind', '=', kind), eb('value_hmac', '=', cipher.lookupHash(kind, value))]))))
    .execute();
  return rows.map((row) => row.person_id);
}

/**
 * Insert a person or update the one with the same external id. A new person
 * gets a random UUID as id, and an existing one keeps its id, password hash
 * and `createdAt`.
 */
export async function upsertPersonByExternalId(db: Db, input: PersonInput): Promise<Person> {
  const now = Date.now();
  const row = await db
    .insertInto('people')
    .values({
      id: randomUUID(),
      external_id: input.externalId,
      family_name: input.familyName,
      given_name: input.givenName,
      middle_name: input.middleName,
      birthdate: input.birthdate,
      password_hash: null,
      status: input.status,
      created_at: now,
      updated_at: now,
    })
    .onConflict((conflict) =>
      conflict.column('external_id').doUpdateSet((eb) => ({
        family_name: eb.ref('excluded.family_name'),
        given_name: eb.ref('excluded.given_name'),
        middle_name: eb.ref('excluded.middle_name'),
        birthdate: eb.ref('excluded.birthdate'),
        status: eb.ref('excluded.status'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toPerson(row);
}

/** Store a password hash (null removes the password). Returns false when no such person exists. */
export async function setPasswordHash(db: Db, personId: string, passwordHash: string | null): Promise<boolean> {
  const result = await db
    .updateTable('people')
    .set({ password_hash: passwordHash, updated_at: Date.now() })
    .where('id', '=', personId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Set whether a person may sign in. Returns false when no such person exists. */
export async function setPersonStatus(db: Db, personId: string, status: Person['status']): Promise<boolean> {
  const result = await db.updateTable('people').set({ status, updated_at: Date.now() }).where('id', '=', personId).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

// Parent–child reads live with the links and are re-exported because callers look for them here.
export { listChildren, listParents } from './parent-links.js';

/** Data a password check needs about the holder of one identifier, read in one query. */
export interface LoginAccount {
  id: string;
  passwordHash: string | null;
  status: Person['status'];
}

/** Find the holder of one identifier (`value` normalised) by its keyed hash. */
export async function findLoginAccount(db: Db, cipher: IdentifierCipher, kind: IdentifierKind, value: string): Promise<LoginAccount | undefined> {
  const row = await db
    .selectFrom('identifiers')
    .innerJoin('people', 'people.id', 'identifiers.person_id')
    .select(['people.id', 'people.password_hash', 'people.status'])
    .where('identifiers.kind', '=', kind)
    .where('identifiers.value_hmac', '=', cipher.lookupHash(kind, value))
    .executeTakeFirst();
  return row === undefined ? undefined : { id: row.id, passwordHash: row.password_hash, status: row.status as Person['status'] };
}
