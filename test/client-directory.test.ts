// The service directory (src/oidc/clients.ts) on a real SQLite store: which
// client id lookups read the services table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import type { Config } from '../src/config/load.js';
import type { Sealer } from '../src/keys/sealer.js';
import { createClientDirectory } from '../src/oidc/clients.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { upsertService } from '../src/storage/services.js';
import { openSqliteTestStore, type TestStore } from './helpers/databases.js';

describe('client directory', () => {
  let fresh: TestStore;
  let reads = 0;

  before(async () => {
    fresh = await openSqliteTestStore();
    await migrateToLatest(fresh.store);
    await upsertService(fresh.store.db, {
      clientId: 'zhurnal',
      clientSecretEncrypted: null,
      displayName: 'Журнал',
      homeUrl: 'https://zhurnal.example/',
      redirectUris: ['https://zhurnal.example/callback'],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code'],
      acceptedRoleKinds: ['teacher'],
      backchannelLogoutUri: null,
      idTokenSignedResponseAlg: 'RS256',
    });
  });
  after(async () => fresh.cleanup());

  /** Create a directory whose database queries are counted in `reads`. */
  function directory() {
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        reads += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    // The sealer opens client secrets only, and this service has none.
    return createClientDirectory(fresh.store.db.withPlugin(counting), {} as Sealer, { issuer: 'https://propusk.example' } as Config);
  }

  test('registered service found', async () => {
    const clients = directory();
    assert.equal((await clients.metadata('zhurnal'))?.client_id, 'zhurnal');
  });

  test('malformed id needs no read', async () => {
    const clients = directory();
    reads = 0;
    for (const clientId of ['', ' zhurnal', 'zhurnal|x', '-lead', 'ж', 'x'.repeat(101)]) {
      assert.equal(await clients.metadata(clientId), undefined, JSON.stringify(clientId));
    }
    assert.equal(reads, 0);
  });

  test('unknown id read each time', async () => {
    const clients = directory();
    reads = 0;
    assert.equal(await clients.metadata('no-such-service'), undefined);
    assert.equal(await clients.metadata('no-such-service'), undefined);
    assert.equal(reads, 2, 'unknown ids are not cached, so a service imported meanwhile is found at once');
  });
});
