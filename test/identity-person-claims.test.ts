import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { personClaims } from '../src/identity/claims.js';
import { findPersonByExternalId } from '../src/storage/people.js';
import type { Person } from '../src/storage/types.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

describe('person claims', () => {
  let propusk: RunningPropusk;
  let person: Person;

  before(async () => {
    propusk = await startPropusk();
    const found = await findPersonByExternalId(propusk.runtime.store.db, 'teacher-1');
    assert.ok(found !== undefined, 'the demo school has teacher-1');
    person = found;
  });
  after(async () => propusk.stop());

  test('contacts included by default', async () => {
    const claims = await personClaims(propusk.runtime.store.db, propusk.runtime.identifiers, person);
    assert.equal(claims.email, 'ivanova@example.ru');
    assert.equal(claims.phone_number, '+79160000001');
    assert.equal(claims.family_name, person.familyName);
  });

  test('contacts left out on request', async () => {
    const claims = await personClaims(propusk.runtime.store.db, propusk.runtime.identifiers, person, false);
    assert.equal('email' in claims, false);
    assert.equal('phone_number' in claims, false);
    assert.equal(claims.family_name, person.familyName);
  });
});
