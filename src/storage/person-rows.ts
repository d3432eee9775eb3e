import type { Selectable } from 'kysely';
import type { PeopleTable } from './schema.js';
import type { Person, PersonProfile } from './types.js';

/** Columns of a person's profile (all but the password hash), for a select that joins `people`. */
export const PROFILE_COLUMNS = [
  'people.id',
  'people.external_id',
  'people.family_name',
  'people.given_name',
  'people.middle_name',
  'people.birthdate',
  'people.status',
  'people.created_at',
  'people.updated_at',
] as const;

export function toPerson(row: Selectable<PeopleTable>): Person {
  return { ...toPersonProfile(row), passwordHash: row.password_hash };
}

export function toPersonProfile(row: Omit<Selectable<PeopleTable>, 'password_hash'>): PersonProfile {
  return {
    id: row.id,
    externalId: row.external_id,
    familyName: row.family_name,
    givenName: row.given_name,
    middleName: row.middle_name,
    birthdate: row.birthdate,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
