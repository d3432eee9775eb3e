// Phones, e-mails and СНИЛС at rest: after the demo school is imported and
// people log in over HTTP, no table of the database (and, on SQLite, no byte
// of its files) contains any of them in a readable form, while logins and the
// claims that need the decrypted values keep working.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SQLITE_FILE } from '../src/storage/database-url.js';
import { createPostgresSchema } from './helpers/databases.js';
import { client, demoPerson, passwordLogin, relyingParty } from './helpers/oidc-flow.js';
import { demoIdentifierNeedles, dumpPostgresTables, dumpSqliteTables, needlesIn } from './helpers/pii-scan.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

interface Database {
  url?: string;
  dump(propusk: RunningPropusk): Promise<{ tables: string[]; text: string }>;
  drop(): Promise<void>;
}

const teacher = demoPerson((person) => person.id === 'teacher-1');
const teacherSnilsDigits = (teacher.snils as string).replace(/\D/g, '');

async function sqliteDatabase(): Promise<Database> {
  return {
    dump: async (propusk) => dumpSqliteTables(path.join(propusk.dataDir, DEFAULT_SQLITE_FILE)),
    drop: async () => {},
  };
}

async function postgresDatabase(): Promise<Database> {
  const schema = await createPostgresSchema();
  return { url: schema.url, dump: () => dumpPostgresTables(schema.url), drop: schema.drop };
}

function runAtRestSuite(name: string, openDatabase: () => Promise<Database>, gate: { skip?: string } = {}): void {
  describe(`personal data at rest on ${name}`, gate, () => {
    let database: Database;
    let propusk: RunningPropusk;

    before(async () => {
      database = await openDatabase();
      propusk = await startPropusk({ databaseUrl: database.url });
    });
    after(async () => {
      await propusk?.stop();
      await database?.drop();
    });

    it('logins by phone, e-mail and СНИЛС succeed', async () => {
      const rp = await relyingParty(propusk.issuer, 'dnevnik');
      for (const login of ['8 (916) 000-00-01', 'IVANOVA@example.RU', teacher.snils as string]) {
        const { tokens } = await passwordLogin(propusk.issuer, rp, login);
        assert.equal(tokens.claims()?.email, 'ivanova@example.ru', login);
      }
    });

    it('claims carry the decrypted e-mail and phone', async () => {
      const rp = await relyingParty(propusk.issuer, 'dnevnik');
      const { tokens } = await passwordLogin(propusk.issuer, rp, '+79160000001');
      const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()?.sub as string);

      assert.equal(userinfo.email, 'ivanova@example.ru');
      assert.equal(userinfo.phone_number, '+79160000001');
    });

    it('СНИЛС is in no claim', async () => {
      const rp = await relyingParty(propusk.issuer, 'dnevnik');
      const { tokens } = await passwordLogin(propusk.issuer, rp, teacher.snils as string);
      const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()?.sub as string);

      for (const [source, claims] of [
        ['ID token', tokens.claims()],
        ['userinfo', userinfo],
      ] as const) {
        const text = JSON.stringify(claims);
        assert.ok(!text.includes(teacherSnilsDigits), `${source} holds the СНИЛС digits`);
        assert.ok(!text.includes(teacher.snils as string), `${source} holds the formatted СНИЛС`);
        assert.ok(!Object.keys(claims ?? {}).some((key) => /snils/i.test(key)), `${source} has a СНИЛС claim`);
      }
    });

    it('no table holds a demo phone, e-mail or СНИЛС', async () => {
      const { tables, text } = await database.dump(propusk);

      assert.ok(tables.includes('identifiers'), `tables: ${tables.join(', ')}`);
      // The dump does contain the data: the names are stored in the clear.
      assert.ok(text.includes('Иванова'), 'the dump misses the people table');
      assert.equal(text.split('\n').filter((line) => line.startsWith('identifiers: ')).length, 9);
      assert.deepEqual(needlesIn(text, demoIdentifierNeedles()), []);
    });
  });
}

runAtRestSuite('SQLite', sqliteDatabase);
runAtRestSuite('PostgreSQL', postgresDatabase, await serviceGate(postgresAvailable));

describe('SQLite files at rest', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk();
  });
  after(async () => propusk?.stop());

  it('no byte of the database or its log is a demo identifier', async () => {
    const rp = await relyingParty(propusk.issuer, 'dnevnik');
    await passwordLogin(propusk.issuer, rp, '+79160000001');
    const file = path.join(propusk.dataDir, DEFAULT_SQLITE_FILE);

    const files = [file, `${file}-wal`].filter((candidate) => existsSync(candidate));
    const bytes = Buffer.concat(files.map((candidate) => readFileSync(candidate)));

    // The people table is in these bytes, so the identifiers table is too.
    assert.ok(bytes.includes(Buffer.from('Иванова')), `${files.join(', ')} do not hold the people table`);
    assert.deepEqual(needlesIn(bytes, demoIdentifierNeedles()), []);
  });
});
