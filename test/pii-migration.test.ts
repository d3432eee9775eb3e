// Migration 0005 on a database that contains plaintext identifiers from 0001:
// the schema step moves them aside, the data step (which has the master key)
// encrypts them into the new table and drops the plaintext, on SQLite and
// PostgreSQL, once and only once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { loadConfig } from '../src/config/load.js';
import { openIdentifierCipher } from '../src/keys/identifier-cipher.js';
import { createLogger } from '../src/logging/logger.js';
import { openRuntime } from '../src/server/runtime.js';
import { openDatabase, type Store } from '../src/storage/database.js';
import { encryptIdentifiersMigration } from '../src/storage/data-migrations/0005_encrypt_identifiers.js';
import { pendingDataMigrations, runDataMigrations } from '../src/storage/data-migrations/run.js';
import { IdentifierConflictError } from '../src/storage/errors.js';
import type { IdentifierCipher } from '../src/storage/identifier-cipher.js';
import { listIdentifiers, replaceIdentifiers } from '../src/storage/identifiers.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { MIGRATIONS } from '../src/storage/migrations/registry.js';
import { findLoginAccount, upsertPersonByExternalId } from '../src/storage/people.js';
import { createPostgresSchema, openPostgresTestStore, openSqliteTestStore, type OpenFreshStore, type TestStore } from './helpers/databases.js';
import { dumpStoreTables, needlesIn, sqliteFileBytes, type Needle } from './helpers/pii-scan.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const BEFORE_0005 = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '0005'));

const PLAINTEXT = [
  { owner: 0, kind: 'phone', value: '+79161112233', display: null, verified: 1 },
  { owner: 0, kind: 'email', value: 'plain.teacher@school.example', display: 'Plain.Teacher@School.example', verified: 0 },
  { owner: 0, kind: 'snils', value: '11223344595', display: null, verified: 1 },
  { owner: 1, kind: 'phone', value: '+79161112244', display: null, verified: 0 },
] as const;

const NEEDLES: Needle[] = PLAINTEXT.flatMap((row) => [
  { label: `${row.kind} value`, text: row.value },
  ...(row.display === null ? [] : [{ label: `${row.kind} display`, text: row.display }]),
]);

/** A store migrated to just before 0005, holding PLAINTEXT in the 0001 table; returns the person ids. */
async function seedPlaintext(store: Store): Promise<string[]> {
  await migrateToLatest(store, undefined, BEFORE_0005);
  const personIds: string[] = [];
  for (const externalId of ['plain-teacher', 'plain-student']) {
    const person = await upsertPersonByExternalId(store.db, {
      externalId,
      familyName: 'Открытова',
      givenName: 'Вера',
      middleName: null,
      birthdate: null,
      status: 'active',
    });
    personIds.push(person.id);
  }
  const db = store.db as unknown as Kysely<any>;
  for (const row of PLAINTEXT) {
    const { owner, ...columns } = row;
    await db.insertInto('identifiers').values({ ...columns, person_id: personIds[owner], created_at: 1_700_000_000_000 + owner }).execute();
  }
  return personIds;
}

async function plaintextRows(store: Store): Promise<Array<Record<string, unknown>>> {
  const result = await sql<Record<string, unknown>>`select * from identifiers_plaintext order by id`.execute(store.db);
  return result.rows;
}

/** Wrap a cipher so that its `failAt`-th seal throws, as a crash halfway through the conversion would. */
function failingCipher(cipher: IdentifierCipher, failAt: number): IdentifierCipher {
  let calls = 0;
  return {
    ...cipher,
    get currentKeyVersion() {
      return cipher.currentKeyVersion;
    },
    seal(personId, identifier) {
      calls += 1;
      if (calls === failAt) {
        throw new Error('simulated crash while encrypting');
      }
      return cipher.seal(personId, identifier);
    },
  };
}

function runMigrationSuite(name: string, openFreshStore: OpenFreshStore, gate: { skip?: string } = {}): void {
  describe(`identifier migration 0005 on ${name}`, gate, () => {
    let testStore: TestStore;
    let store: Store;
    let personIds: string[];
    let cipher: IdentifierCipher;

    beforeEach(async () => {
      testStore = await openFreshStore();
      store = testStore.store;
      personIds = await seedPlaintext(store);
      await migrateToLatest(store);
      cipher = await openIdentifierCipher(store.db, randomBytes(32));
    });
    afterEach(async () => testStore?.cleanup());

    it('schema step moves the plaintext aside', async () => {
      assert.equal((await plaintextRows(store)).length, PLAINTEXT.length);
      assert.deepEqual(await store.db.selectFrom('identifiers').selectAll().execute(), []);
      assert.deepEqual(await pendingDataMigrations(store), ['0005_encrypt_identifiers']);
    });

    it('data step encrypts every row and keeps ids', async () => {
      const before = await plaintextRows(store);

      assert.deepEqual(await runDataMigrations(store, { identifiers: cipher }), ['0005_encrypt_identifiers']);

      const after = [...(await listIdentifiers(store.db, cipher, personIds[0] as string)), ...(await listIdentifiers(store.db, cipher, personIds[1] as string))];
      assert.deepEqual(
        after.map(({ id, personId, kind, value, display, verified, createdAt }) => ({ id, personId, kind, value, display, verified, createdAt })),
        before.map((row) => ({
          id: row.id,
          personId: row.person_id,
          kind: row.kind,
          value: row.value,
          display: row.display,
          verified: row.verified === 1,
          createdAt: row.created_at,
        })),
      );
      const versions = await store.db.selectFrom('identifiers').select('key_version').execute();
      assert.deepEqual(new Set(versions.map((row) => row.key_version)), new Set([1]));
    });

    it('no plaintext remains in any table', async () => {
      await runDataMigrations(store, { identifiers: cipher });

      await assert.rejects(plaintextRows(store));
      const { tables, text } = await dumpStoreTables(store);
      assert.ok(!tables.includes('identifiers_plaintext'));
      assert.equal(text.split('\n').filter((line) => line.startsWith('identifiers: ')).length, PLAINTEXT.length);
      assert.deepEqual(needlesIn(text, NEEDLES), []);
    });

    it('converted rows serve logins and uniqueness', async () => {
      await runDataMigrations(store, { identifiers: cipher });

      assert.equal((await findLoginAccount(store.db, cipher, 'email', 'plain.teacher@school.example'))?.id, personIds[0]);
      assert.equal((await findLoginAccount(store.db, cipher, 'snils', '11223344595'))?.id, personIds[0]);
      assert.equal((await findLoginAccount(store.db, cipher, 'phone', '+79161112244'))?.id, personIds[1]);
      await assert.rejects(
        replaceIdentifiers(store.db, cipher, personIds[1] as string, [{ kind: 'email', value: 'plain.teacher@school.example', display: null, verified: false }]),
        IdentifierConflictError,
      );
    });

    it('new rows after it get new ids', async () => {
      await runDataMigrations(store, { identifiers: cipher });
      const highest = Math.max(...(await store.db.selectFrom('identifiers').select('id').execute()).map((row) => row.id));

      const written = await replaceIdentifiers(store.db, cipher, personIds[1] as string, [
        { kind: 'phone', value: '+79161112244', display: null, verified: false },
        { kind: 'email', value: 'new@school.example', display: null, verified: false },
      ]);

      const added = written.find((identifier) => identifier.kind === 'email');
      assert.ok(added !== undefined, 'the new e-mail is missing');
      assert.ok(added.id > highest, `new id ${added.id} is not above ${highest}`);
    });

    it('runs once and is idempotent', async () => {
      await runDataMigrations(store, { identifiers: cipher });
      const rowsAfterFirst = await store.db.selectFrom('identifiers').selectAll().orderBy('id').execute();

      assert.deepEqual(await runDataMigrations(store, { identifiers: cipher }), []);
      assert.deepEqual(await pendingDataMigrations(store), []);
      // The step itself is safe to repeat too: without the plaintext table it does nothing.
      await encryptIdentifiersMigration.up(store.db, store.dialect, { identifiers: cipher });
      assert.deepEqual(await store.db.selectFrom('identifiers').selectAll().orderBy('id').execute(), rowsAfterFirst);
    });

    it('failure halfway rolls back and retries', async () => {
      await assert.rejects(runDataMigrations(store, { identifiers: failingCipher(cipher, 3) }), /Data migration "0005_encrypt_identifiers" failed: simulated crash/);

      assert.deepEqual(await pendingDataMigrations(store), ['0005_encrypt_identifiers']);
      assert.equal((await plaintextRows(store)).length, PLAINTEXT.length);
      assert.deepEqual(await store.db.selectFrom('identifiers').selectAll().execute(), []);

      assert.deepEqual(await runDataMigrations(store, { identifiers: cipher }), ['0005_encrypt_identifiers']);
      assert.equal((await store.db.selectFrom('identifiers').selectAll().execute()).length, PLAINTEXT.length);
    });
  });
}

runMigrationSuite('SQLite', openSqliteTestStore);
runMigrationSuite('PostgreSQL', openPostgresTestStore, await serviceGate(postgresAvailable));

const postgresGate = await serviceGate(postgresAvailable);

describe('identifier migration 0005 beyond one store', () => {
  it('SQLite file keeps no old plaintext bytes', async () => {
    const testStore = await openSqliteTestStore();
    try {
      const { store } = testStore;
      await seedPlaintext(store);
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(store.db);
      assert.ok(needlesIn(await sqliteFileBytes(store), NEEDLES).length > 0, 'the seeded plaintext is not in the file');

      await migrateToLatest(store);
      await runDataMigrations(store, { identifiers: await openIdentifierCipher(store.db, randomBytes(32)) });

      assert.deepEqual(needlesIn(await sqliteFileBytes(store), NEEDLES), []);
    } finally {
      await testStore.cleanup();
    }
  });

  it('openRuntime converts an old SQLite database', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-pii-runtime-'));
    try {
      const old = await openDatabase({ dataDir });
      const [teacherId] = await seedPlaintext(old);
      await old.close();

      const config = loadConfig({ NODE_ENV: 'test', PROPUSK_DATA_DIR: dataDir, PROPUSK_DEMO: 'false', LOG_LEVEL: 'silent' });
      const runtime = await openRuntime(config, createLogger({ level: 'silent', pretty: false }));
      try {
        const identifiers = await listIdentifiers(runtime.store.db, runtime.identifiers, teacherId as string);
        assert.deepEqual(
          identifiers.map((identifier) => identifier.value),
          PLAINTEXT.filter((row) => row.owner === 0).map((row) => row.value),
        );
        assert.deepEqual(await pendingDataMigrations(runtime.store), []);
      } finally {
        await runtime.store.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('two PostgreSQL nodes convert once', postgresGate, async () => {
    const schema = await createPostgresSchema();
    const stores = [await openDatabase({ url: schema.url, dataDir: os.tmpdir() }), await openDatabase({ url: schema.url, dataDir: os.tmpdir() })];
    try {
      const [first, second] = stores as [Store, Store];
      await seedPlaintext(first);
      await migrateToLatest(first);
      const masterKey = randomBytes(32);
      const ciphers = [await openIdentifierCipher(first.db, masterKey), await openIdentifierCipher(second.db, masterKey)];

      const results = await Promise.all(stores.map((store, index) => runDataMigrations(store, { identifiers: ciphers[index] as IdentifierCipher })));

      assert.deepEqual(results.flat(), ['0005_encrypt_identifiers']);
      assert.equal((await second.db.selectFrom('identifiers').selectAll().execute()).length, PLAINTEXT.length);
    } finally {
      for (const store of stores) {
        await store.close();
      }
      await schema.drop();
    }
  });
});
