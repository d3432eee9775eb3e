// Queries compiled once and run with new values, on both databases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Store } from '../src/storage/database.js';
import { reusableQuery, sharedQuery } from '../src/storage/reusable-query.js';
import { migratedStoreHooks, openPostgresTestStore, openSqliteTestStore, type OpenFreshStore } from './helpers/databases.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

function runReusableQueryTests(name: string, open: OpenFreshStore, gate: { skip?: string } = {}) {
  describe(`reusable query on ${name}`, gate, () => {
    let store: Store;
    migratedStoreHooks(open, (opened) => {
      store = opened;
    });

    test('runs with the values of each call', async () => {
      const db = store.db;
      const insert = reusableQuery(db, (slot) =>
        db.insertInto('oidc_payloads').values({ model: slot(0), id: slot(1), payload: slot(2), grant_id: slot(4), user_code: slot(4), uid: slot(4), expires_at: slot(3), consumed_at: slot(4) }),
      );
      const find = reusableQuery(db, (slot) => db.selectFrom('oidc_payloads').select(['id', 'payload', 'expires_at']).where('model', '=', slot(1)).where('id', '=', slot(0)));
      await insert.run(['Test', 'first', '{"n":1}', 1000, null]);
      await insert.run(['Test', 'second', '{"n":2}', null, null]);

      const first = (await find.run(['first', 'Test'])).rows;
      assert.equal(first.length, 1);
      assert.equal(first[0]?.payload, '{"n":1}');
      assert.equal(Number(first[0]?.expires_at), 1000);
      const second = (await find.run(['second', 'Test'])).rows;
      assert.equal(second[0]?.payload, '{"n":2}');
      assert.equal(second[0]?.expires_at, null);
      assert.equal((await find.run(['second', 'Other'])).rows.length, 0, 'the model slot is bound too');
    });

    test('reports affected rows of an update', async () => {
      const db = store.db;
      const consume = reusableQuery(db, (slot) =>
        db.updateTable('oidc_payloads').set({ consumed_at: slot(0) }).where('id', '=', slot(1)).where('consumed_at', 'is', null),
      );
      assert.equal((await consume.run([5, 'first'])).numAffectedRows, 1n);
      assert.equal((await consume.run([6, 'first'])).numAffectedRows, 0n, 'already consumed');
    });

    test('shared query: one per handle', async () => {
      const db = store.db;
      let builds = 0;
      const build = (slot: (index: number) => never) => {
        builds += 1;
        return db.selectFrom('oidc_payloads').select('id').where('id', '=', slot(0));
      };
      const first = sharedQuery(db, 'test-by-id', build);
      assert.equal(sharedQuery(db, 'test-by-id', build), first, 'the same handle gets the same query');
      assert.deepEqual((await first.run(['first'])).rows, [{ id: 'first' }]);
      assert.deepEqual((await first.run(['second'])).rows, [{ id: 'second' }]);
      assert.equal(builds, 1, 'built once, on first use');
      await db.transaction().execute(async (trx) => {
        assert.notEqual(sharedQuery(trx, 'test-by-id', build), first, 'a transaction gets its own');
      });
    });

    test('rejects a literal value', async () => {
      const db = store.db;
      const fixed = reusableQuery(db, (slot) => db.selectFrom('oidc_payloads').selectAll().where('model', '=', 'Fixed').where('id', '=', slot(0)));
      await assert.rejects(fixed.run(['x']), /reusable query has a parameter that is not a slot/);
    });
  });
}

runReusableQueryTests('SQLite', openSqliteTestStore);
runReusableQueryTests('PostgreSQL', openPostgresTestStore, await serviceGate(postgresAvailable));
