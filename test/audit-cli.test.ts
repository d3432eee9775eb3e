import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { appendRecord } from '../src/audit/chain.js';
import { toAuditEntry } from '../src/audit/sanitize.js';
import { createPostgresSchema } from './helpers/databases.js';
import { passwordLogin, relyingParty, submitLogin } from './helpers/oidc-flow.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizationRequest } from './helpers/oidc-flow.js';
import { DEMO_DATA, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `propusk ARGS` in a child process against the test server's database. */
function propuskCli(propusk: RunningPropusk, args: string[], databaseUrl?: string): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    PROPUSK_DEMO: 'false',
    PROPUSK_DATA_DIR: propusk.dataDir,
    LOG_LEVEL: 'silent',
    ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
  };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error !== null) {
        // A numeric code is the exit status; anything else (a timeout, a spawn failure) counts as -1.
        code = typeof error.code === 'number' ? error.code : -1;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('propusk audit on SQLite', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk();
    const { store } = propusk.runtime;
    for (const day of ['2020-01-01', '2020-01-02', '2020-01-03']) {
      const { entry } = toAuditEntry({ type: 'admin.action', details: { day } });
      await appendRecord(store.db, store.dialect, entry, Date.parse(`${day}T10:00:00Z`));
    }
    const dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    await passwordLogin(propusk.issuer, dnevnik, 'ivanova@example.ru');
    await passwordLogin(propusk.issuer, dnevnik, 'smirnov@example.ru');
    const browser = new TestBrowser(propusk.issuer);
    await submitLogin(browser, await browser.follow((await authorizationRequest(dnevnik)).url.toString()), '+79160000001', 'wrong password');
  });
  after(async () => propusk.stop());

  test('lists events newest first in readable lines', async () => {
    const result = await propuskCli(propusk, ['audit']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 6);
    assert.match(lines[0] ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z {2}#6 {2}login\.failed +client=dnevnik {2}ip=127\.0\.0\.1 .*identifierKinds=phone {2}reason=invalid_credentials$/);
    assert.match(lines[1] ?? '', /#5 {2}login\.succeeded +person=parent-1 {2}personId=[0-9a-f-]{36} {2}client=dnevnik {2}ip=127\.0\.0\.1 .*identifierKind=email/);
    assert.match(lines[5] ?? '', /^2020-01-01 10:00:00Z {2}#1 {2}admin\.action +day=2020-01-01$/);
  });

  test('filters by person external id, type, dates and limit', async () => {
    const byPerson = await propuskCli(propusk, ['audit', '--person', 'teacher-1', '--json']);
    assert.equal(byPerson.code, 0, byPerson.stderr);
    const own = jsonLines(byPerson.stdout);
    assert.deepEqual(own.map((record) => [record.type, record.personExternalId]), [['login.succeeded', 'teacher-1']]);

    const personId = own[0]?.personId as string;
    const byId = jsonLines((await propuskCli(propusk, ['audit', '--person', personId, '--json'])).stdout);
    assert.deepEqual(byId.map((record) => record.seq), own.map((record) => record.seq));

    const failures = jsonLines((await propuskCli(propusk, ['audit', '--type', 'login.failed', '--json'])).stdout);
    assert.deepEqual(failures.map((record) => record.type), ['login.failed']);

    const oneDay = jsonLines((await propuskCli(propusk, ['audit', '--since', '2020-01-02', '--until', '2020-01-02', '--json'])).stdout);
    assert.deepEqual(oneDay.map((record) => record.seq), [2]);
    const upTo = jsonLines((await propuskCli(propusk, ['audit', '--until', '2020-01-02T13:00:00+03:00', '--json'])).stdout);
    assert.deepEqual(upTo.map((record) => record.seq), [2, 1], 'the bound is inclusive');

    const limited = jsonLines((await propuskCli(propusk, ['audit', '--type', 'admin.action,login.succeeded', '--limit', '2', '--json'])).stdout);
    assert.deepEqual(limited.map((record) => record.seq), [5, 4]);
    assert.equal(limited[0]?.time, new Date(limited[0]?.occurredAt as number).toISOString());
  });

  test('rejects bad options with a clear message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['audit', '--since', '2020-02-30'], /Invalid --since "2020-02-30": use a date/],
      [['audit', '--until', '2020-01-02T10:00'], /Invalid --until .* with a zone/],
      [['audit', '--type', 'login.maybe'], /Unknown --type "login\.maybe": the types are login\.succeeded, /],
      [['audit', '--limit', '0'], /Invalid --limit "0"/],
      [['audit', '--colour'], /Unknown option '--colour'/],
    ];
    for (const [args, message] of cases) {
      const result = await propuskCli(propusk, args);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
  });

  test('import and key rotation are recorded', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'propusk-audit-import-'));
    try {
      const file = path.join(dir, 'school.json');
      await writeFile(file, JSON.stringify(DEMO_DATA));
      const imported = await propuskCli(propusk, ['import', file]);
      assert.equal(imported.code, 0, imported.stderr);
      const rotated = await propuskCli(propusk, ['keys', 'rotate']);
      assert.equal(rotated.code, 0, rotated.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const records = jsonLines((await propuskCli(propusk, ['audit', '--type', 'import.completed', '--type', 'keys.rotated', '--json'])).stdout);
    assert.deepEqual(records.map((record) => record.type), ['keys.rotated', 'import.completed']);
    const importDetails = records[1]?.details as Record<string, unknown>;
    assert.equal(importDetails.file, 'school.json');
    assert.equal(importDetails.peopleUpdated, DEMO_DATA.people.length);
    assert.equal(importDetails.peopleCreated, 0);
    const keyDetails = records[0]?.details as Record<string, unknown>;
    assert.ok((keyDetails.retired as number) > 0);
  });

  test('verify passes, then fails with the broken record after tampering', async () => {
    const intact = await propuskCli(propusk, ['audit', 'verify']);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /^Audit chain intact: \d+ records checked/);
    assert.match(intact.stdout, /Head hash: [0-9a-f]{64}/);

    await sql`update audit_events set ip = '198.51.100.7' where seq = 4`.execute(propusk.runtime.store.db);
    const broken = await propuskCli(propusk, ['audit', 'verify']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^Audit chain BROKEN at record 4: record 4 was modified: its hash does not match its contents\./);
    const json = await propuskCli(propusk, ['audit', 'verify', '--json']);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), { ok: false, records: 3, seq: 4, problem: 'record 4 was modified: its hash does not match its contents' });
  });
});

describe('propusk audit on PostgreSQL', await serviceGate(postgresAvailable), () => {
  let propusk: RunningPropusk;
  let schema: { url: string; drop(): Promise<void> };

  before(async () => {
    schema = await createPostgresSchema();
    propusk = await startPropusk({ databaseUrl: schema.url });
    await passwordLogin(propusk.issuer, await relyingParty(propusk.issuer, 'dnevnik'), '+79160000002');
  });
  after(async () => {
    await propusk.stop();
    await schema.drop();
  });

  test('lists and verifies', async () => {
    const listed = jsonLines((await propuskCli(propusk, ['audit', '--person', 'student-1', '--json'], schema.url)).stdout);
    assert.deepEqual(listed.map((record) => [record.type, record.ip]), [['login.succeeded', '127.0.0.1']]);
    const verified = await propuskCli(propusk, ['audit', 'verify'], schema.url);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /^Audit chain intact: 1 records checked/);
  });
});
