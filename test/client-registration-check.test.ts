// The client throttle's check whether a client id names a registered service
// (src/oidc/client-registration-check.ts): lookups saved for ids that cannot
// be registered and for unknown ids seen recently.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRegistrationCheck } from '../src/oidc/client-registration-check.js';

/** Create a directory with one service that counts its lookups. */
function directory() {
  const lookups: string[] = [];
  return {
    lookups,
    metadata: async (clientId: string) => {
      lookups.push(clientId);
      return clientId === 'zhurnal' ? { client_id: 'zhurnal' } : undefined;
    },
  };
}

describe('client registration check', () => {
  test('registered id found on every call', async () => {
    const clients = directory();
    const isRegistered = createRegistrationCheck(clients);
    assert.equal(await isRegistered('zhurnal'), true);
    assert.equal(await isRegistered('zhurnal'), true);
    assert.deepEqual(clients.lookups, ['zhurnal', 'zhurnal'], 'the directory has its own cache for services');
  });

  test('malformed id needs no lookup', async () => {
    const clients = directory();
    const isRegistered = createRegistrationCheck(clients);
    for (const clientId of ['', ' zhurnal', 'zhurnal|x', '-lead', 'ж', 'x'.repeat(101)]) {
      assert.equal(await isRegistered(clientId), false, JSON.stringify(clientId));
    }
    assert.deepEqual(clients.lookups, []);
  });

  test('unknown id remembered until the TTL', async () => {
    let now = 1_000_000;
    const clients = directory();
    const isRegistered = createRegistrationCheck(clients, { ttlMs: 10_000, clock: () => now });
    assert.equal(await isRegistered('no-such-service'), false);
    now += 9_999;
    assert.equal(await isRegistered('no-such-service'), false);
    assert.deepEqual(clients.lookups, ['no-such-service'], 'one lookup within the TTL');
    now += 1;
    assert.equal(await isRegistered('no-such-service'), false);
    assert.deepEqual(clients.lookups, ['no-such-service', 'no-such-service'], 'looked up again after the TTL');
  });

  test('memory of unknown ids bounded', async () => {
    const clients = directory();
    const isRegistered = createRegistrationCheck(clients, { maxRemembered: 2 });
    for (const clientId of ['a1', 'a2', 'a3', 'a1']) await isRegistered(clientId);
    // a3 found the memory full and emptied it, so a1 was forgotten and looked up again.
    assert.deepEqual(clients.lookups, ['a1', 'a2', 'a3', 'a1']);
    await isRegistered('a3');
    assert.equal(clients.lookups.length, 4, 'a3 is still remembered');
  });
});
