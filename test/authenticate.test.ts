import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hash } from '@node-rs/argon2';
import { authenticate } from '../src/identity/authenticate.js';
import { libuvPasswordHasher } from '../src/identity/password/hash.js';
import { importRecords } from '../src/importer/index.js';
import { findPersonByExternalId, setPasswordHash } from '../src/storage/people.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { openSqliteTestStore, type TestStore } from './helpers/databases.js';
import { openTestKeys, type TestKeys } from './helpers/identifier-keys.js';
import { DEMO_DATA } from './helpers/propusk-server.js';
import { DEMO_PASSWORD } from './helpers/oidc-flow.js';

describe('authenticate', () => {
  let testStore: TestStore;
  let keys: TestKeys;

  before(async () => {
    testStore = await openSqliteTestStore();
    await migrateToLatest(testStore.store);
    keys = await openTestKeys(testStore.store, Buffer.alloc(32, 3));
    await importRecords(testStore.store, keys, DEMO_DATA);
  });
  after(async () => testStore.cleanup());

  test('phone, e-mail and СНИЛС of one person all succeed', async () => {
    const db = testStore.store.db;
    for (const login of ['89160000001', 'Ivanova@Example.ru', '145 287 963 97']) {
      const result = await authenticate(db, keys.identifiers, libuvPasswordHasher, login, DEMO_PASSWORD);
      assert.equal(result.outcome, 'success', login);
    }
  });

  test('wrong password, unknown identifier and garbage', async () => {
    const db = testStore.store.db;
    assert.equal((await authenticate(db, keys.identifiers, libuvPasswordHasher, '+79160000001', 'wrong')).outcome, 'invalid_credentials');
    assert.equal((await authenticate(db, keys.identifiers, libuvPasswordHasher, '+79169999999', DEMO_PASSWORD)).outcome, 'invalid_credentials');
    assert.equal((await authenticate(db, keys.identifiers, libuvPasswordHasher, 'not a login', DEMO_PASSWORD)).outcome, 'unrecognized_identifier');
  });

  test('a hash with old parameters is upgraded on login', async () => {
    const db = testStore.store.db;
    const person = await findPersonByExternalId(db, 'student-1');
    assert.ok(person !== undefined);
    await setPasswordHash(db, person.id, await hash(DEMO_PASSWORD, { memoryCost: 8192, timeCost: 1, parallelism: 1 }));
    assert.equal((await authenticate(db, keys.identifiers, libuvPasswordHasher, '+79160000002', DEMO_PASSWORD)).outcome, 'success');
    const upgraded = await findPersonByExternalId(db, 'student-1');
    assert.match(upgraded?.passwordHash ?? '', /m=19456,t=2,p=1/);
  });

  test('a blocked person fails like a wrong password', async () => {
    const db = testStore.store.db;
    const person = await findPersonByExternalId(db, 'parent-1');
    assert.ok(person !== undefined);
    await db.updateTable('people').set({ status: 'blocked' }).where('id', '=', person.id).execute();
    assert.equal((await authenticate(db, keys.identifiers, libuvPasswordHasher, '+79160000003', DEMO_PASSWORD)).outcome, 'invalid_credentials');
  });
});
