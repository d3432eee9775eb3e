// The back-channel logout queue on SQLite and PostgreSQL: insert, claim,
// lease and finish, and on PostgreSQL several nodes claiming at once.
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { claimDueLogouts, deleteFinishedLogouts, insertLogouts, markDelivered, markFailed, nextDueAt, scheduleRetry } from '../src/logout/queue-store.js';
import { openDatabase, type Store } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { createPostgresSchema, migratedStoreHooks, openPostgresTestStore, openSqliteTestStore, type OpenFreshStore } from './helpers/databases.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const LEASE_MS = 60_000;

function targets(count: number, clientId = 'dnevnik') {
  return Array.from({ length: count }, (_, index) => ({ clientId, sub: `person-${index}`, sid: `sid-${index}` }));
}

function queueContract(name: string, open: OpenFreshStore, gate: { skip?: string | boolean } = {}) {
  describe(`logout queue on ${name}`, gate, () => {
    let store: Store;
    migratedStoreHooks(open, (opened) => {
      store = opened;
    });

    test('insert skips a target already queued', async () => {
      const now = 1_000_000;
      assert.equal(await insertLogouts(store.db, targets(3, 'insert'), 'logout', now), 3);
      assert.equal(await insertLogouts(store.db, targets(4, 'insert'), 'expired', now), 1);
      const rows = await store.db.selectFrom('backchannel_logouts').selectAll().where('client_id', '=', 'insert').orderBy('id').execute();
      assert.deepEqual(rows.map((row) => row.reason), ['logout', 'logout', 'logout', 'expired']);
      assert.ok(rows.every((row) => row.state === 'pending' && row.attempts === 0 && row.next_attempt_at === now));
      await store.db.deleteFrom('backchannel_logouts').execute();
    });

    test('claim leases rows until retry or finish', async () => {
      const now = 2_000_000;
      await insertLogouts(store.db, targets(3), 'logout', now);
      assert.equal(await nextDueAt(store.db), now);
      assert.deepEqual(await claimDueLogouts(store, now - 1, LEASE_MS, 10), [], 'nothing is due before next_attempt_at');

      const claimed = await claimDueLogouts(store, now, LEASE_MS, 2);
      assert.equal(claimed.length, 2);
      assert.ok(claimed.every((row) => row.attempts === 1 && row.target.clientId === 'dnevnik'));
      const [first, second] = claimed as [(typeof claimed)[0], (typeof claimed)[0]];

      // A leased row is not claimed again before the lease ends.
      const rest = await claimDueLogouts(store, now + 1, LEASE_MS, 10);
      assert.equal(rest.length, 1);
      assert.ok(!claimed.some((row) => row.id === rest[0]?.id));
      assert.deepEqual(await claimDueLogouts(store, now + LEASE_MS - 1, LEASE_MS, 10), []);

      await markDelivered(store.db, first.id, now + 5);
      await scheduleRetry(store.db, second.id, now + 10_000, 'expected HTTP 200, got 500');
      await markFailed(store.db, rest[0]?.id as number, 'gave up');
      assert.equal(await nextDueAt(store.db), now + 10_000);

      const retried = await claimDueLogouts(store, now + 10_000, LEASE_MS, 10);
      assert.deepEqual(retried.map((row) => [row.id, row.attempts]), [[second.id, 2]]);

      const rows = await store.db.selectFrom('backchannel_logouts').selectAll().orderBy('id').execute();
      assert.deepEqual(rows.map((row) => row.state), ['delivered', 'pending', 'failed']);
      assert.equal(rows[0]?.delivered_at, now + 5);
      assert.equal(rows[2]?.last_error, 'gave up');

      assert.equal(await deleteFinishedLogouts(store.db, now + 1), 2, 'delivered and failed rows go, the pending one stays');
      assert.equal((await store.db.selectFrom('backchannel_logouts').select('id').execute()).length, 1);
      await store.db.deleteFrom('backchannel_logouts').execute();
    });
  });
}

queueContract('SQLite', openSqliteTestStore);
queueContract('PostgreSQL', openPostgresTestStore, await serviceGate(postgresAvailable));

describe('logout queue with several PostgreSQL nodes', await serviceGate(postgresAvailable), () => {
  const NODES = 4;
  const ROWS = 300;
  let schema: Awaited<ReturnType<typeof createPostgresSchema>>;
  let nodes: Store[];

  before(async () => {
    schema = await createPostgresSchema();
    nodes = await Promise.all(Array.from({ length: NODES }, () => openDatabase({ url: schema.url, dataDir: os.tmpdir() })));
    await migrateToLatest(nodes[0] as Store);
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await schema.drop();
  });

  test('every row is claimed exactly once', async () => {
    const now = Date.now();
    await insertLogouts((nodes[0] as Store).db, targets(ROWS), 'logout', now);

    const claimedBy = await Promise.all(
      nodes.map(async (node) => {
        const ids: number[] = [];
        for (;;) {
          const batch = await claimDueLogouts(node, now, LEASE_MS, 7);
          if (batch.length === 0) return ids;
          ids.push(...batch.map((row) => row.id));
        }
      }),
    );

    const all = claimedBy.flat();
    assert.equal(all.length, ROWS, 'a row was claimed twice or never');
    assert.equal(new Set(all).size, ROWS);
    assert.ok(claimedBy.filter((ids) => ids.length > 0).length > 1, 'the nodes shared the work');
    const attempts = await (nodes[0] as Store).db.selectFrom('backchannel_logouts').select('attempts').execute();
    assert.ok(attempts.every((row) => row.attempts === 1));
  });
});
