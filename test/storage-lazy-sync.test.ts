// Which writes of a real SQLite store commit without a sync of their own
// (src/storage/lazy-sync.ts, docs/decisions/0018-sync-only-what-must-survive.md).
// Short-lived records do, while consuming, revoking and everything else syncs.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { Store } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { createOidcAdapter } from '../src/storage/oidc-adapter.js';
import { hitThrottleCounter, undoThrottleCounter } from '../src/storage/throttle-counters.js';
import { openSqliteTestStore, type TestStore } from './helpers/databases.js';

const NORMAL = 'pragma synchronous = normal';

/** Every statement that better-sqlite3 runs in this process, by SQL text. Installed before the store opens. */
const executed: string[] = [];
const prepare = BetterSqlite3.prototype.prepare;
BetterSqlite3.prototype.prepare = function recordingPrepare(this: BetterSqlite3.Database, text: string) {
  const statement = prepare.call(this, text) as unknown as Record<'run' | 'all' | 'get', (...args: unknown[]) => unknown>;
  for (const method of ['run', 'all', 'get'] as const) {
    const original = statement[method].bind(statement);
    statement[method] = (...args: unknown[]) => {
      executed.push(text);
      return original(...args);
    };
  }
  return statement as never;
} as typeof prepare;

describe('writes without their own sync', () => {
  let fresh: TestStore;
  let store: Store;

  before(async () => {
    fresh = await openSqliteTestStore();
    store = fresh.store;
    await migrateToLatest(store);
  });
  after(async () => {
    BetterSqlite3.prototype.prepare = prepare;
    await fresh.cleanup();
  });
  beforeEach(() => {
    executed.length = 0;
  });

  const adapter = (model: string) => new (createOidcAdapter(store))(model);
  const expiresIn = 600;
  /** Whether the statements run since the last reset include a commit without sync. */
  const ranLazily = () => executed.includes(NORMAL);

  test('new tokens commit lazily', async () => {
    for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'Interaction', 'Session', 'Grant', 'ClientCredentials']) {
      executed.length = 0;
      await adapter(model).upsert(`${model}-1`, { grantId: 'g1', uid: 'u1' }, expiresIn);
      assert.ok(ranLazily(), `${model}: ${executed.join(' | ')}`);
    }
  });

  test('consuming a refresh token syncs', async () => {
    await adapter('RefreshToken').upsert('rt-consume', { grantId: 'g2' }, expiresIn);
    executed.length = 0;
    await adapter('RefreshToken').consume('rt-consume');
    assert.ok(!ranLazily(), executed.join(' | '));
    assert.ok(executed.some((text) => text.startsWith('update "oidc_payloads" set "consumed_at"')));
  });

  test('saving a consumed record syncs', async () => {
    await adapter('AuthorizationCode').upsert('code-consumed', { grantId: 'g3', consumed: Math.floor(Date.now() / 1000) }, expiresIn);
    assert.ok(!ranLazily(), executed.join(' | '));
  });

  test('deleting a session or revoking a grant syncs', async () => {
    await adapter('Session').upsert('session-gone', { uid: 'u-gone' }, expiresIn);
    executed.length = 0;
    await adapter('Session').destroy('session-gone');
    await adapter('AccessToken').revokeByGrantId('g1');
    assert.ok(!ranLazily(), executed.join(' | '));
  });

  test('deleting an ended interaction commits lazily', async () => {
    await adapter('Interaction').upsert('interaction-done', {}, expiresIn);
    executed.length = 0;
    await adapter('Interaction').destroy('interaction-done');
    assert.ok(ranLazily(), executed.join(' | '));
  });

  test('models not listed sync', async () => {
    await adapter('ReplayDetection').upsert('jti-1', {}, expiresIn);
    assert.ok(!ranLazily(), executed.join(' | '));
  });

  test('throttle counts commit lazily', async () => {
    const rule = { freeFailures: 3, firstDelayMs: 1000, maxDelayMs: 60_000, doublingsToCap: 6, windowMs: 60_000, slidingWindow: false };
    const now = Date.now();
    await hitThrottleCounter(store.db, 'lazy-key', rule, now, 'attempt-1');
    await undoThrottleCounter(store.db, 'lazy-key', 'attempt-1', now);
    assert.equal(executed.filter((text) => text === NORMAL).length, 2, executed.join(' | '));
  });

  test('FULL after every lazy commit', async () => {
    await adapter('AccessToken').upsert('at-level', { grantId: 'g4' }, expiresIn);
    assert.equal(executed.at(-1), 'pragma synchronous = full', executed.join(' | '));
  });
});
