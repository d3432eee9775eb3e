// Group commit of SQLite writes (src/storage/sqlite-group-commit.ts) on a real
// database file: shared commits, failures kept apart, order with transactions.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, type SqliteDatabase } from 'kysely';
import { lazySync } from '../src/storage/lazy-sync.js';
import { GroupCommitSqliteDialect } from '../src/storage/sqlite-group-commit.js';
import { cacheStatements, type ReadonlyAwareStatement } from '../src/storage/sqlite-statement-cache.js';

interface Schema {
  notes: { id: string; body: string };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'propusk-group-commit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite group commit', () => {
  let file: string;
  let raw: BetterSqlite3.Database;
  let db: Kysely<Schema>;
  /** Every statement the driver ran, in order. */
  let executed: string[];

  beforeEach(async () => {
    file = path.join(dir, `${Math.random().toString(36).slice(2)}.sqlite`);
    raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    executed = [];
    const cached = cacheStatements(raw);
    const recording: SqliteDatabase = {
      close: () => cached.close(),
      prepare: (text) => {
        const statement = cached.prepare(text);
        return {
          reader: statement.reader,
          readonly: (statement as ReadonlyAwareStatement).readonly,
          all: (parameters) => (executed.push(text), statement.all(parameters)),
          run: (parameters) => (executed.push(text), statement.run(parameters)),
          iterate: (parameters) => (executed.push(text), statement.iterate(parameters)),
        };
      },
    };
    db = new Kysely<Schema>({ dialect: new GroupCommitSqliteDialect(recording, () => raw.inTransaction) });
    await sql`create table notes (id text primary key, body text not null)`.execute(db);
    executed = [];
  });
  afterEach(async () => db.destroy());

  const insert = (id: string, body = 'x') => db.insertInto('notes').values({ id, body }).execute();
  const commits = () => executed.filter((text) => text === 'commit').length;

  /** Read the file through a second connection, which reads only committed data. */
  function committedIds(): string[] {
    const other = new BetterSqlite3(file, { readonly: true });
    try {
      return (other.prepare('select id from notes order by id').all() as Array<{ id: string }>).map((row) => row.id);
    } finally {
      other.close();
    }
  }

  test('parallel writes share one commit', async () => {
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => insert(id)));
    assert.deepEqual(results.map(([result]) => result?.numInsertedOrUpdatedRows), [1n, 1n, 1n, 1n, 1n]);
    assert.equal(executed.filter((text) => text === 'begin immediate').length, 1, executed.join('\n'));
    assert.equal(commits(), 1);
    assert.deepEqual(committedIds(), ['a', 'b', 'c', 'd', 'e']);
  });

  test('lone write commits alone', async () => {
    await insert('solo');
    assert.deepEqual(executed, ['insert into "notes" ("id", "body") values (?, ?)']);
    assert.deepEqual(committedIds(), ['solo']);
  });

  test('failing write rejects only its caller', async () => {
    await insert('taken');
    const outcomes = await Promise.allSettled([insert('one'), insert('taken'), insert('two')]);
    assert.equal(outcomes[0]?.status, 'fulfilled');
    assert.equal(outcomes[1]?.status, 'rejected');
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.equal(outcomes[2]?.status, 'fulfilled');
    assert.deepEqual(committedIds(), ['one', 'taken', 'two']);
    assert.equal(raw.inTransaction, false);
  });

  test('conditional updates report affected rows', async () => {
    await insert('code', 'fresh');
    const consume = () => db.updateTable('notes').set({ body: 'used' }).where('id', '=', 'code').where('body', '=', 'fresh').executeTakeFirst();
    const [first, second] = await Promise.all([consume(), consume()]);
    assert.deepEqual([first.numUpdatedRows, second.numUpdatedRows], [1n, 0n]);
  });

  test('transaction follows queued writes', async () => {
    const queued = insert('before');
    const seen = await db.transaction().execute(async (trx) => (await trx.selectFrom('notes').select('id').execute()).map((row) => row.id));
    await queued;
    assert.deepEqual(seen, ['before']);
    assert.ok(executed.indexOf('begin immediate') > executed.indexOf('insert into "notes" ("id", "body") values (?, ?)'));
  });

  test('outside queries wait for transactions', async () => {
    let release = () => {};
    const holding = new Promise<void>((resolve) => (release = resolve));
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 'inside', body: 'x' }).execute();
      await holding;
      throw new Error('roll back');
    });
    // Let the transaction begin, then start a write and a read outside it.
    await new Promise((resolve) => setImmediate(resolve));
    const outsideWrite = insert('outside');
    const outsideRead = db.selectFrom('notes').select('id').execute();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(committedIds(), [], 'nothing is committed while the transaction is open');
    release();
    await assert.rejects(transaction, /roll back/);
    await outsideWrite;
    assert.deepEqual((await outsideRead).map((row) => row.id), [], 'the read ran after the rollback, not inside the transaction');
    assert.deepEqual(committedIds(), ['outside'], 'the rolled-back row is gone and the outside write stays');
  });

  test('RETURNING writes join the queue', async () => {
    const returning = (id: string) => db.insertInto('notes').values({ id, body: 'x' }).returning('id').execute();
    const [first, second] = await Promise.all([returning('r1'), returning('r2')]);
    assert.deepEqual([first[0]?.id, second[0]?.id], ['r1', 'r2']);
    assert.equal(commits(), 1, executed.join('\n'));
  });

  test('transaction rolled back by SQLite runs nothing more', async () => {
    await sql`create trigger abort_all before insert on notes when new.id = 'abort' begin select raise(rollback, 'aborted'); end`.execute(db);
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 'kept?', body: 'x' }).execute();
      await trx.insertInto('notes').values({ id: 'abort', body: 'x' }).execute().catch(() => undefined);
      await trx.insertInto('notes').values({ id: 'after', body: 'x' }).execute();
    });
    await assert.rejects(transaction, /rolled this transaction back/);
    assert.deepEqual(committedIds(), [], 'no statement of the transaction committed on its own');
  });

  test('streamed select returns every row', async () => {
    await Promise.all([insert('s1'), insert('s2'), insert('s3')]);
    const streamed: string[] = [];
    for await (const row of db.selectFrom('notes').select('id').orderBy('id').stream()) {
      streamed.push(row.id);
      // A write between rows must not meet a statement that is still being iterated.
      await insert(`w-${row.id}`);
    }
    assert.deepEqual(streamed, ['s1', 's2', 's3']);
  });

  test('raw BEGIN outside transaction rejected', async () => {
    await assert.rejects(sql`begin immediate`.execute(db), /outside db\.transaction\(\)/);
    assert.equal(raw.inTransaction, false);
  });

  const lazyInsert = (id: string, body = 'x') => lazySync(db).insertInto('notes').values({ id, body }).execute();
  const NORMAL = 'pragma synchronous = normal';
  const FULL = 'pragma synchronous = full';
  /** The connection's synchronous setting: 1 is NORMAL, 2 is FULL. */
  const syncLevel = () => raw.pragma('synchronous', { simple: true });

  test('lazy group commits without sync', async () => {
    await Promise.all([lazyInsert('l1'), lazyInsert('l2'), lazyInsert('l3')]);
    assert.equal(executed[0], NORMAL, executed.join('\n'));
    assert.equal(executed[1], 'begin immediate');
    assert.deepEqual(executed.slice(-2), ['commit', FULL]);
    assert.equal(syncLevel(), 2);
    assert.deepEqual(committedIds(), ['l1', 'l2', 'l3']);
  });

  test('lone lazy write without sync', async () => {
    await lazyInsert('alone');
    assert.deepEqual(executed, [NORMAL, 'insert into "notes" ("id", "body") values (?, ?)', FULL]);
    assert.equal(syncLevel(), 2);
  });

  test('one synced write syncs the group', async () => {
    await Promise.all([lazyInsert('l1'), insert('durable'), lazyInsert('l2')]);
    assert.equal(commits(), 1, executed.join('\n'));
    assert.ok(!executed.includes(NORMAL), executed.join('\n'));
    assert.deepEqual(committedIds(), ['durable', 'l1', 'l2']);
  });

  test('failed lazy group restores FULL', async () => {
    await insert('taken');
    const outcomes = await Promise.allSettled([lazyInsert('new'), lazyInsert('taken')]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected']);
    await assert.rejects(lazyInsert('taken'), /UNIQUE constraint failed/);
    assert.equal(syncLevel(), 2);
    assert.equal(executed.at(-1), FULL);
  });

  test('transactions sync with lazy writes', async () => {
    await db.transaction().execute(async (trx) => {
      await lazySync<Schema>(trx).insertInto('notes').values({ id: 'in-trx', body: 'x' }).execute();
    });
    assert.ok(!executed.includes(NORMAL), executed.join('\n'));
    assert.deepEqual(committedIds(), ['in-trx']);
  });

  test('close commits queued writes', async () => {
    // This callback runs in the check phase before the flush that the insert schedules, with the insert queued.
    const closed = new Promise<void>((resolve, reject) => setImmediate(() => db.destroy().then(resolve, reject)));
    const pending = insert('last');
    await closed;
    await pending;
    assert.deepEqual(committedIds(), ['last']);
    // afterEach destroys again; reopen so that it has something to close.
    db = new Kysely<Schema>({ dialect: new GroupCommitSqliteDialect(cacheStatements(new BetterSqlite3(file)), () => false) });
  });
});
