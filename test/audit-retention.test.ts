import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { appendRecord } from '../src/audit/chain.js';
import { toAuditEntry } from '../src/audit/sanitize.js';
import { verifyChain } from '../src/audit/verify.js';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors/index.js';
import { createLogger } from '../src/logging/logger.js';
import { startHousekeeping } from '../src/server/housekeeping.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { openSqliteTestStore, type TestStore } from './helpers/databases.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('audit retention setting', () => {
  test('defaults to 365 days', () => {
    assert.equal(loadConfig({}).auditRetentionDays, 365);
  });

  test('reads PROPUSK_AUDIT_RETENTION_DAYS', () => {
    assert.equal(loadConfig({ PROPUSK_AUDIT_RETENTION_DAYS: '90' }).auditRetentionDays, 90);
  });

  test('rejects a value that is not a positive whole number', () => {
    for (const value of ['0', '-5', '1.5', 'forever']) {
      assert.throws(() => loadConfig({ PROPUSK_AUDIT_RETENTION_DAYS: value }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /PROPUSK_AUDIT_RETENTION_DAYS: must be/);
        return true;
      }, value);
    }
  });
});

describe('housekeeping removes old audit records', () => {
  let testStore: TestStore;
  before(async () => {
    testStore = await openSqliteTestStore();
    await migrateToLatest(testStore.store);
  });
  after(async () => testStore.cleanup());

  test('records older than the retention period go, the chain still verifies', async () => {
    const { store } = testStore;
    for (const age of [50, 40, 5]) {
      const { entry } = toAuditEntry({ type: 'login.succeeded', personId: 'p', details: { identifierKind: 'phone' } });
      await appendRecord(store.db, store.dialect, entry, Date.now() - age * DAY_MS);
    }
    const housekeeping = startHousekeeping(store, createLogger({ level: 'silent', pretty: false }), 30, 20);
    try {
      const deadline = Date.now() + 5000;
      let anchor = 0;
      while (anchor === 0) {
        assert.ok(Date.now() < deadline, 'housekeeping did not prune within 5 s');
        await new Promise((resolve) => setTimeout(resolve, 25));
        anchor = (await store.db.selectFrom('audit_chain').select('anchor_seq').executeTakeFirstOrThrow()).anchor_seq;
      }
    } finally {
      housekeeping.stop();
    }
    const remaining = await store.db.selectFrom('audit_events').select(['seq', 'type']).orderBy('seq').execute();
    assert.deepEqual(remaining, [
      { seq: 3, type: 'login.succeeded' },
      { seq: 4, type: 'audit.pruned' },
    ]);
    const verified = await verifyChain(store);
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });
});
