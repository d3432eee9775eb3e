// The client throttle's check whether a client id names a registered service
// (src/oidc/client-registration-check.ts): no lookup for an id that cannot be
// registered, and a lookup on every call otherwise.
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

  test('unknown id looked up each time', async () => {
    const clients = directory();
    const isRegistered = createRegistrationCheck(clients);
    assert.equal(await isRegistered('no-such-service'), false);
    assert.equal(await isRegistered('no-such-service'), false);
    assert.deepEqual(clients.lookups, ['no-such-service', 'no-such-service'], 'a service imported meanwhile is found at once');
  });
});
