import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ConfigError, StorageError } from '../src/errors/index.js';
import { describePostgresUrl, parseDatabaseUrl } from '../src/storage/database-url.js';
import { openDatabase } from '../src/storage/database.js';

describe('parseDatabaseUrl', () => {
  const dataDir = '/var/lib/propusk';

  it('default to the SQLite file in the data directory', () => {
    const expected = { dialect: 'sqlite', file: '/var/lib/propusk/propusk.sqlite' };
    assert.deepEqual(parseDatabaseUrl(undefined, dataDir), expected);
    assert.deepEqual(parseDatabaseUrl('sqlite:', dataDir), expected);
    assert.deepEqual(parseDatabaseUrl('sqlite://', dataDir), expected);
  });

  it('accept SQLite paths and memory', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:/tmp/a.sqlite', dataDir), { dialect: 'sqlite', file: '/tmp/a.sqlite' });
    assert.deepEqual(parseDatabaseUrl('sqlite:///tmp/b.sqlite', dataDir), { dialect: 'sqlite', file: '/tmp/b.sqlite' });
    assert.deepEqual(parseDatabaseUrl('sqlite:rel/c.sqlite', dataDir), {
      dialect: 'sqlite',
      file: path.resolve('rel/c.sqlite'),
    });
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:', dataDir), { dialect: 'sqlite', file: ':memory:' });
  });

  it('accept both PostgreSQL schemes', () => {
    for (const url of ['postgres://u@h/db', 'postgresql://u@h/db']) {
      assert.deepEqual(parseDatabaseUrl(url, dataDir), { dialect: 'postgres', connectionString: url });
    }
  });

  it('reject other schemes without echoing the URL', () => {
    assert.throws(
      () => parseDatabaseUrl('mysql://root:hunter2@db/propusk', dataDir),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /"mysql:"/);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      },
    );
  });

  it('describe PostgreSQL URLs without credentials', () => {
    const described = describePostgresUrl('postgres://propusk:hunter2@db.internal/propusk');
    assert.equal(described, 'PostgreSQL at db.internal:5432/propusk');
  });
});

describe('openDatabase on SQLite', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-open-'));
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('create the directory and set the pragmas', async () => {
    const nested = path.join(dataDir, 'nested', 'dir');
    const store = await openDatabase({ dataDir: nested });
    try {
      assert.equal(store.dialect, 'sqlite');
      assert.ok(existsSync(path.join(nested, 'propusk.sqlite')));
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      assert.equal(journal.rows[0]?.journal_mode, 'wal');
      const foreignKeys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
      assert.equal(foreignKeys.rows[0]?.foreign_keys, 1);
      const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db);
      assert.ok((busy.rows[0]?.timeout ?? 0) > 0);
    } finally {
      await store.close();
    }
  });
});

describe('openDatabase on PostgreSQL', () => {
  it('fail fast with a StorageError that hides the password', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const url = 'postgres://propusk:hunter2@127.0.0.1:1/propusk';
    await assert.rejects(openDatabase({ url, dataDir: os.tmpdir() }), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.match(error.message, /127\.0\.0\.1:1\/propusk/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });
});

describe('SQLite file permissions', () => {
  it('the database file is readable by its owner only', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'propusk-mode-'));
    try {
      const store = await openDatabase({ dataDir: dir });
      await sql`select 1`.execute(store.db);
      await store.close();
      const { statSync } = await import('node:fs');
      assert.equal(statSync(path.join(dir, 'propusk.sqlite')).mode & 0o777, 0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
