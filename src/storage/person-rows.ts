import type { Selectable } from 'kysely';
import type { PeopleTable } from './schema.js';
import type { Person, PersonProfile } from './types.js';

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
