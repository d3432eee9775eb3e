import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { appendRecord } from '../src/audit/chain.js';
import { hashRecord } from '../src/audit/canonical.js';
import { createAuditLog } from '../src/audit/log.js';
import { pruneAuditLog } from '../src/audit/retention.js';
import { toAuditEntry } from '../src/audit/sanitize.js';
import { verifyChain } from '../src/audit/verify.js';
import { createLogger } from '../src/logging/logger.js';
import { openDatabase, type Store } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { createPostgresSchema } from './helpers/databases.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const APPENDER = fileURLToPath(new URL('./helpers/audit-appender.ts', import.meta.url));
const DAY_MS = 24 * 60 * 60 * 1000;
const silent = createLogger({ level: 'silent', pretty: false });

/** A migrated database reachable by URL, so other processes can open it too. */
interface ChainDatabase {
  url: string;
  store: Store;
  cleanup(): Promise<void>;
}

async function sqliteDatabase(): Promise<ChainDatabase> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'propusk-audit-'));
  const url = `sqlite:${path.join(dir, 'audit.sqlite')}`;
  const store = await openDatabase({ url, dataDir: dir });
  await migrateToLatest(store);
  return { url, store, cleanup: async () => (await store.close(), await rm(dir, { recursive: true, force: true })) };
}

async function postgresDatabase(): Promise<ChainDatabase> {
  const schema = await createPostgresSchema();
  const store = await openDatabase({ url: schema.url, dataDir: os.tmpdir() });
  await migrateToLatest(store);
  return { url: schema.url, store, cleanup: async () => (await store.close(), await schema.drop()) };
}

function runAppender(url: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', APPENDER, url, String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`appender exited with ${code}: ${stderr}`))));
  });
}

async function append(store: Store, count: number, at?: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const { entry } = toAuditEntry({ type: 'login.succeeded', personId: `person-${index}`, details: { identifierKind: 'phone' } });
    await appendRecord(store.db, store.dialect, entry, at ?? Date.now());
  }
}

async function seqs(store: Store): Promise<number[]> {
  const rows = await store.db.selectFrom('audit_events').select('seq').orderBy('seq').execute();
  return rows.map((row) => row.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

function assertBroken(result: Awaited<ReturnType<typeof verifyChain>>, seq: number, problem: RegExp): void {
  assert.equal(result.ok, false, 'verification must fail');
  assert.ok(!result.ok);
  assert.equal(result.seq, seq);
  assert.match(result.problem, problem);
}

function runChainSuite(name: string, open: () => Promise<ChainDatabase>, gate: { skip?: string }): void {
  describe(`audit chain on ${name}`, gate, () => {
    let database: ChainDatabase;
    let store: Store;
    beforeEach(async () => {
      database = await open();
      store = database.store;
    });
    afterEach(async () => database.cleanup());

    test('each record links to the previous one', async () => {
      const audit = createAuditLog(store, silent);
      await audit.record({ type: 'login.succeeded', personId: 'p1', details: { identifierKind: 'email' } });
      await audit.record({ type: 'logout', personId: 'p1' });
      const rows = await store.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
      assert.deepEqual(rows.map((row) => row.seq), [1, 2]);
      assert.equal(rows[0]?.prev_hash, '0'.repeat(64));
      assert.equal(rows[1]?.prev_hash, rows[0]?.hash);
      assert.match(rows[0]?.hash ?? '', /^[0-9a-f]{64}$/);
      const verified = await verifyChain(store);
      assert.deepEqual(verified, { ok: true, records: 2, anchorSeq: 0, lastSeq: 2, lastHash: rows[1]?.hash });
    });

    test('parallel appends in one process stay linear', async () => {
      const audit = createAuditLog(store, silent);
      await Promise.all(range(1, 40).map((index) => audit.record({ type: 'admin.action', details: { index } })));
      assert.deepEqual(await seqs(store), range(1, 40));
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('parallel appends from several processes stay linear', async () => {
      const audit = createAuditLog(store, silent);
      const local = Promise.all(range(1, 15).map((index) => audit.record({ type: 'admin.action', details: { index } })));
      await Promise.all([runAppender(database.url, 15), runAppender(database.url, 15), runAppender(database.url, 15), local]);
      assert.deepEqual(await seqs(store), range(1, 60));
      const verified = await verifyChain(store);
      assert.equal(verified.ok, true, JSON.stringify(verified));
      assert.equal(verified.ok && verified.records, 60);
    });

    test('a modified record is detected', async () => {
      await append(store, 4);
      await sql`update audit_events set details = '{"identifierKind":"email"}' where seq = 2`.execute(store.db);
      assertBroken(await verifyChain(store), 2, /record 2 was modified/);
    });

    test('a modified address is detected', async () => {
      await append(store, 3);
      await sql`update audit_events set ip = '203.0.113.9' where seq = 3`.execute(store.db);
      assertBroken(await verifyChain(store), 3, /record 3 was modified/);
    });

    test('a deleted record is detected', async () => {
      await append(store, 4);
      await sql`delete from audit_events where seq = 2`.execute(store.db);
      assertBroken(await verifyChain(store), 3, /record 2 is missing/);
    });

    test('a deleted last record is detected', async () => {
      await append(store, 4);
      await sql`delete from audit_events where seq = 4`.execute(store.db);
      assertBroken(await verifyChain(store), 4, /record 4 is missing/);
    });

    test('a deleted first record is detected', async () => {
      await append(store, 3);
      await sql`delete from audit_events where seq = 1`.execute(store.db);
      assertBroken(await verifyChain(store), 2, /record 1 is missing/);
    });

    test('a record inserted in the middle is detected', async () => {
      await append(store, 4);
      // Make room at 3, then insert a well-formed record that links to record 2.
      await sql`update audit_events set seq = -seq where seq >= 3`.execute(store.db);
      await sql`update audit_events set seq = 1 - seq where seq < 0`.execute(store.db);
      const second = await store.db.selectFrom('audit_events').select('hash').where('seq', '=', 2).executeTakeFirstOrThrow();
      const forged = { ...toAuditEntry({ type: 'login.succeeded', personId: 'intruder' }).entry, seq: 3, occurred_at: Date.now(), prev_hash: second.hash };
      await store.db.insertInto('audit_events').values({ ...forged, hash: hashRecord(forged) }).execute();
      await sql`update audit_chain set last_seq = 5`.execute(store.db);
      assertBroken(await verifyChain(store), 4, /record 4 does not link to the record before it/);
    });

    test('a record appended behind the head is detected', async () => {
      await append(store, 2);
      const head = await store.db.selectFrom('audit_chain').selectAll().executeTakeFirstOrThrow();
      const forged = { ...toAuditEntry({ type: 'logout', personId: 'intruder' }).entry, seq: 3, occurred_at: Date.now(), prev_hash: head.last_hash };
      await store.db.insertInto('audit_events').values({ ...forged, hash: hashRecord(forged) }).execute();
      assertBroken(await verifyChain(store), 2, /chain head \(record 2\) does not match the last stored record/);
    });

    test('retention removes old records and the chain still verifies', async () => {
      const now = Date.now();
      await append(store, 3, now - 400 * DAY_MS);
      await append(store, 2, now - 10 * DAY_MS);
      assert.equal(await pruneAuditLog(store, 365, now), 3);
      assert.deepEqual(await seqs(store), [4, 5, 6]);
      const pruned = await store.db.selectFrom('audit_events').selectAll().where('seq', '=', 6).executeTakeFirstOrThrow();
      assert.equal(pruned.type, 'audit.pruned');
      assert.equal(JSON.parse(pruned.details).throughSeq, 3);
      assert.deepEqual(await verifyChain(store), { ok: true, records: 3, anchorSeq: 3, lastSeq: 6, lastHash: pruned.hash });

      assert.equal(await pruneAuditLog(store, 365, now), 0, 'nothing more is old enough');
      assert.deepEqual(await seqs(store), [4, 5, 6]);
    });

    test('retention of every record leaves a verifiable chain', async () => {
      const now = Date.now();
      await append(store, 3, now - 40 * DAY_MS);
      assert.equal(await pruneAuditLog(store, 30, now), 3);
      await append(store, 1);
      const verified = await verifyChain(store);
      assert.equal(verified.ok, true, JSON.stringify(verified));
      assert.equal(verified.ok && verified.records, 2);
    });

    test('removing records past the retention anchor is detected', async () => {
      const now = Date.now();
      await append(store, 2, now - 400 * DAY_MS);
      await append(store, 3, now - DAY_MS);
      await pruneAuditLog(store, 365, now);
      // An intruder removes record 3 and moves the anchor as retention would.
      const third = await store.db.selectFrom('audit_events').select('hash').where('seq', '=', 3).executeTakeFirstOrThrow();
      await sql`delete from audit_events where seq = 3`.execute(store.db);
      await sql`update audit_chain set anchor_seq = 3, anchor_hash = ${third.hash}`.execute(store.db);
      assertBroken(await verifyChain(store), 3, /retention anchor \(record 3\) is not the one recorded/);
    });
  });
}

describe('audit log write failures', () => {
  test('are logged and do not reject', async () => {
    const database = await sqliteDatabase();
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', pretty: false }, { write: (line: string) => void lines.push(line) });
    const audit = createAuditLog(database.store, logger);
    await database.cleanup();

    await audit.record({ type: 'login.succeeded', personId: 'p1', details: { identifierKind: 'phone' } });
    const failure = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'audit events could not be stored');
    assert.ok(failure !== undefined, lines.join('\n'));
    assert.equal(failure.level, 50);
    assert.deepEqual(failure.auditTypes, ['login.succeeded']);
  });
});

runChainSuite('SQLite', sqliteDatabase, {});
runChainSuite('PostgreSQL', postgresDatabase, await serviceGate(postgresAvailable));
