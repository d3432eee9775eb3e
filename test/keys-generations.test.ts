// The generations of signing and cookie keys in the keystore: stage, activate
// and rotate, on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConflictError, StorageError } from '../src/errors/index.js';
import { activateKeys, ensureKeys, loadKeys, rotateKeys, stageKeys } from '../src/keys/keystore.js';
import { createSealer } from '../src/keys/sealer.js';
import { withTransaction, type Store } from '../src/storage/database.js';
import type { KeyStatus } from '../src/storage/types.js';
import { migratedStoreHooks, openPostgresTestStore, openSqliteTestStore, type OpenFreshStore } from './helpers/databases.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const sealer = createSealer(Buffer.alloc(32, 9));

/** Kids of the stored keys with this status, signing keys in RS256, ES256 order, then the cookie key. */
async function kidsWithStatus(store: Store, status: KeyStatus): Promise<string[]> {
  const rows = await store.db.selectFrom('keys').select(['kid', 'use', 'alg']).where('status', '=', status).execute();
  const rank = (row: { use: string; alg: string | null }) => ['RS256', 'ES256', null].indexOf(row.use === 'sig' ? row.alg : null);
  return rows.sort((a, b) => rank(a) - rank(b)).map((row) => row.kid);
}

function keystoreSuite(name: string, open: OpenFreshStore, gate: { skip?: string }): void {
  describe(`key generations on ${name}`, gate, () => {
    let store: Store;
    migratedStoreHooks(open, (opened) => {
      store = opened;
    });

    test('activate without a staged generation is rejected', async () => {
      assert.equal(await withTransaction(store, (trx) => ensureKeys(trx, sealer)), true);
      await assert.rejects(withTransaction(store, (trx) => activateKeys(trx)), (error: unknown) => {
        assert.ok(error instanceof ConflictError);
        assert.match(error.message, /No key generation is staged, so there is nothing to activate\. Run `propusk keys stage`/);
        return true;
      });
      assert.equal((await kidsWithStatus(store, 'current')).length, 3, 'the current keys are unchanged');
    });

    test('stage publishes keys behind the current ones', async () => {
      const before = await loadKeys(store.db, sealer);
      const current = await kidsWithStatus(store, 'current');
      const staged = await withTransaction(store, (trx) => stageKeys(trx, sealer));
      assert.deepEqual(staged.map((key) => [key.use, key.alg]), [['sig', 'RS256'], ['sig', 'ES256'], ['cookie', null]]);
      assert.deepEqual(await kidsWithStatus(store, 'next'), staged.map((key) => key.kid));
      assert.deepEqual(await kidsWithStatus(store, 'current'), current);

      const loaded = await loadKeys(store.db, sealer);
      assert.deepEqual(loaded.jwks.map((jwk) => jwk.kid), [current[0], current[1], staged[0]?.kid, staged[1]?.kid]);
      assert.deepEqual(loaded.jwks.map((jwk) => jwk.alg), ['RS256', 'ES256', 'RS256', 'ES256']);
      assert.equal(loaded.cookieKeys.length, 2);
      // Index 0 signs cookies and keys the throttle counters: staging must not change it.
      assert.equal(loaded.cookieKeys[0], before.cookieKeys[0]);
      assert.notEqual(loaded.cookieKeys[1], before.cookieKeys[0]);
    });

    test('a second stage is rejected', async () => {
      const staged = await kidsWithStatus(store, 'next');
      await assert.rejects(withTransaction(store, (trx) => stageKeys(trx, sealer)), (error: unknown) => {
        assert.ok(error instanceof ConflictError);
        assert.match(error.message, /already staged/);
        return true;
      });
      assert.deepEqual(await kidsWithStatus(store, 'next'), staged, 'the staged generation is unchanged');
    });

    test('activate promotes the staged generation', async () => {
      const oldCurrent = await kidsWithStatus(store, 'current');
      const staged = await kidsWithStatus(store, 'next');
      const cookieBefore = (await loadKeys(store.db, sealer)).cookieKeys;

      const result = await withTransaction(store, (trx) => activateKeys(trx));
      assert.deepEqual([...result.activated].sort(), [...staged].sort());
      assert.deepEqual([...result.retired].sort(), [...oldCurrent].sort());
      assert.deepEqual(result.deleted, []);
      assert.deepEqual(await kidsWithStatus(store, 'current'), staged);
      assert.deepEqual(await kidsWithStatus(store, 'previous'), oldCurrent);
      assert.deepEqual(await kidsWithStatus(store, 'next'), []);

      const loaded = await loadKeys(store.db, sealer);
      assert.deepEqual(loaded.jwks.map((jwk) => jwk.kid), [staged[0], staged[1], oldCurrent[0], oldCurrent[1]]);
      assert.deepEqual(loaded.cookieKeys, [cookieBefore[1], cookieBefore[0]]);
    });

    test('rotate activates a generation staged earlier', async () => {
      const staged = await withTransaction(store, (trx) => stageKeys(trx, sealer));
      const result = await withTransaction(store, (trx) => rotateKeys(trx, sealer));
      assert.deepEqual(result.staged, [], 'no second generation is created');
      assert.deepEqual(await kidsWithStatus(store, 'current'), staged.map((key) => key.kid));
    });

    test('two previous generations are kept', async () => {
      const deleted: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        await withTransaction(store, (trx) => stageKeys(trx, sealer));
        deleted.push(...(await withTransaction(store, (trx) => activateKeys(trx))).deleted);
      }
      assert.equal(deleted.length, 9, 'three activations past two kept generations delete three generations');
      assert.equal((await kidsWithStatus(store, 'current')).length, 3);
      assert.equal((await kidsWithStatus(store, 'previous')).length, 6);
      const remaining = await store.db.selectFrom('keys').select('kid').execute();
      assert.ok(remaining.every((row) => !deleted.includes(row.kid)));
    });

    test('concurrent stages stage once', async () => {
      const results = await Promise.allSettled([
        withTransaction(store, (trx) => stageKeys(trx, sealer)),
        withTransaction(store, (trx) => stageKeys(trx, sealer)),
      ]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      const rejected = results.find((result) => result.status === 'rejected');
      assert.ok(rejected?.reason instanceof ConflictError, `expected a ConflictError, got ${String(rejected?.reason)}`);
      assert.equal((await kidsWithStatus(store, 'next')).length, 3);
      await withTransaction(store, (trx) => activateKeys(trx));
    });

    test('an incomplete staged generation is not activated', async () => {
      const staged = await withTransaction(store, (trx) => stageKeys(trx, sealer));
      await store.db.deleteFrom('keys').where('kid', '=', staged[1]?.kid as string).execute();
      await assert.rejects(withTransaction(store, (trx) => activateKeys(trx)), (error: unknown) => {
        assert.ok(error instanceof StorageError);
        assert.match(error.message, /staged key generation is invalid: it has the keys cookie:, sig:RS256/);
        return true;
      });
      assert.equal((await kidsWithStatus(store, 'current')).length, 3, 'the current keys are unchanged');
    });
  });
}

// Checked before any suite runs: key generation blocks the event loop long enough to time out a connection attempt.
const postgresGate = await serviceGate(postgresAvailable);
keystoreSuite('SQLite', openSqliteTestStore, {});
keystoreSuite('PostgreSQL', openPostgresTestStore, postgresGate);
