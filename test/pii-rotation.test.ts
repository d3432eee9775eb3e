// Rotation of the identifier data key while a real server keeps serving.
// Another process (the CLI) adds a key version and re-encrypts the rows in
// small batches. The server logs people in and decrypts their claims after
// every batch, and ends up reading rows of a version it never loaded at start.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { openMigratedStore, rotateDataKeyCommand, type MigratedStore } from '../src/cli/data-key-commands.js';
import { deleteRetiredDataKeys, rotateDataKey } from '../src/keys/data-keys.js';
import { openIdentifierCipher } from '../src/keys/identifier-cipher.js';
import { reencryptIdentifiers, startIdentifierReencryption } from '../src/keys/identifier-reencryption.js';
import { resolveMasterKey } from '../src/keys/master-key.js';
import { createLogger } from '../src/logging/logger.js';
import { listDataKeys } from '../src/storage/data-keys.js';
import { countIdentifiersByKeyVersion } from '../src/storage/identifier-key-versions.js';
import { replaceIdentifiers } from '../src/storage/identifiers.js';
import { findPersonByExternalId } from '../src/storage/people.js';
import { createPostgresSchema } from './helpers/databases.js';
import { client, passwordLogin, relyingParty } from './helpers/oidc-flow.js';
import { demoIdentifierNeedles, needlesIn } from './helpers/pii-scan.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const DEMO_IDENTIFIER_COUNT = 9;

function capturingLogger(lines: string[]): Logger {
  return createLogger({ level: 'debug', pretty: false }, { write: (line: string) => void lines.push(line) });
}

async function versionCounts(migrated: MigratedStore): Promise<Record<number, number>> {
  return Object.fromEntries(await countIdentifiersByKeyVersion(migrated.store.db));
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function runRotationSuite(name: string, databaseUrl: () => Promise<{ url?: string; drop(): Promise<void> }>, gate: { skip?: string } = {}): void {
  describe(`identifier data key rotation on ${name}`, gate, () => {
    let database: { url?: string; drop(): Promise<void> };
    let propusk: RunningPropusk;
    let cli: MigratedStore;
    let loginsChecked = 0;

    /** Log in over HTTP and check the userinfo, which needs the decrypted e-mail and phone. */
    async function loginAndReadClaims(): Promise<void> {
      const rp = await relyingParty(propusk.issuer, 'dnevnik');
      const { tokens } = await passwordLogin(propusk.issuer, rp, 'Ivanova@Example.ru');
      const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()?.sub as string);
      assert.equal(userinfo.email, 'ivanova@example.ru');
      assert.equal(userinfo.phone_number, '+79160000001');
      loginsChecked += 1;
    }

    before(async () => {
      database = await databaseUrl();
      propusk = await startPropusk({ databaseUrl: database.url });
      // A second connection with its own keys, as `propusk keys rotate-data` in another process has.
      cli = await openMigratedStore(propusk.runtime.config, createLogger({ level: 'silent', pretty: false }));
    });
    after(async () => {
      await cli?.store.close();
      await propusk?.stop();
      await database?.drop();
    });

    it('re-encrypts in batches while logins work', async () => {
      assert.deepEqual(await versionCounts(cli), { 1: DEMO_IDENTIFIER_COUNT });
      assert.equal(await rotateDataKey(cli.store.db, cli.sealer), 2);
      await loginAndReadClaims();

      let batches = 0;
      const result = await reencryptIdentifiers(cli.store.db, cli.identifiers, {
        batchSize: 2,
        afterBatch: async () => {
          batches += 1;
          await loginAndReadClaims();
        },
      });

      assert.deepEqual(result, { keyVersion: 2, reencrypted: DEMO_IDENTIFIER_COUNT, skipped: 0 });
      assert.equal(batches, Math.ceil(DEMO_IDENTIFIER_COUNT / 2));
      assert.deepEqual(await versionCounts(cli), { 2: DEMO_IDENTIFIER_COUNT });
      // The server met rows of version 2, which it had not loaded, and reloaded its keys.
      assert.equal(propusk.runtime.identifiers.currentKeyVersion, 2);
      assert.equal(loginsChecked, batches + 1);
    });

    it('keeps the previous key and deletes older unused ones', async () => {
      assert.equal(await rotateDataKey(cli.store.db, cli.sealer), 3);
      await reencryptIdentifiers(cli.store.db, cli.identifiers);

      assert.deepEqual(await deleteRetiredDataKeys(cli.store.db, 3), [1]);
      assert.deepEqual((await listDataKeys(cli.store.db)).map((key) => key.version), [2, 3]);
      await loginAndReadClaims();
    });

    it('server job catches up a stale writer', async () => {
      const masterKey = (await resolveMasterKey(propusk.runtime.config.masterKey, propusk.runtime.config.dataDir)).key;
      // This node loaded its keys before the rotation below and has not reloaded them.
      const stale = await openIdentifierCipher(cli.store.db, masterKey);
      assert.equal(await rotateDataKey(cli.store.db, cli.sealer), 4);
      const student = await findPersonByExternalId(cli.store.db, 'student-2');
      assert.ok(student !== undefined);
      await replaceIdentifiers(cli.store.db, stale, student.id, [
        { kind: 'email', value: 'anna.smirnova@example.ru', display: null, verified: false },
        { kind: 'phone', value: '+79160000099', display: null, verified: false },
      ]);
      assert.deepEqual(await versionCounts(cli), { 3: DEMO_IDENTIFIER_COUNT + 1 });

      const job = startIdentifierReencryption(propusk.runtime.store, propusk.runtime.identifiers, propusk.runtime.logger, 20);
      try {
        await waitFor(async () => JSON.stringify(await versionCounts(cli)) === JSON.stringify({ 4: DEMO_IDENTIFIER_COUNT + 1 }), 10_000);
      } finally {
        await job.stop();
      }
      assert.equal(propusk.runtime.identifiers.currentKeyVersion, 4);
      await loginAndReadClaims();
    });

    it('CLI command rotates without a restart', async () => {
      const lines: string[] = [];
      await rotateDataKeyCommand(propusk.runtime.config, capturingLogger(lines));

      assert.deepEqual(await versionCounts(cli), { 5: DEMO_IDENTIFIER_COUNT + 1 });
      assert.deepEqual((await listDataKeys(cli.store.db)).map((key) => key.version), [4, 5]);
      await loginAndReadClaims();
      const log = lines.join('');
      assert.match(log, /identifier data key rotated/);
      assert.deepEqual(needlesIn(log, demoIdentifierNeedles()), []);
    });
  });
}

runRotationSuite('SQLite', async () => ({ drop: async () => {} }));
runRotationSuite('PostgreSQL', createPostgresSchema, await serviceGate(postgresAvailable));

describe('propusk keys rotate-data', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk();
  });
  after(async () => propusk?.stop());

  it('runs as a command beside a serving node', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'keys', 'rotate-data'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, NODE_ENV: 'test', PROPUSK_DATA_DIR: propusk.dataDir, PROPUSK_DEMO: 'false', LOG_LEVEL: 'info' },
      timeout: 60_000,
    });

    assert.match(stdout, /identifier data key rotated/);
    assert.deepEqual(needlesIn(stdout + stderr, demoIdentifierNeedles()), []);
    assert.deepEqual(Object.fromEntries(await countIdentifiersByKeyVersion(propusk.runtime.store.db)), { 2: DEMO_IDENTIFIER_COUNT });
    const rp = await relyingParty(propusk.issuer, 'dnevnik');
    const { tokens } = await passwordLogin(propusk.issuer, rp, '145 287 963 97');
    assert.equal(tokens.claims()?.email, 'ivanova@example.ru');
  });
});
