import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createServiceCache, SERVICE_CACHE_TTL_MS } from '../src/oidc/service-cache.js';

/** Create a loader over a mutable table that records each client id it loads. */
function countingLoader(table: Map<string, string>) {
  const calls: string[] = [];
  const load = async (clientId: string): Promise<string | undefined> => {
    calls.push(clientId);
    return table.get(clientId);
  };
  return { calls, load };
}

describe('service cache', () => {
  test('reuses a service within the TTL', async () => {
    const table = new Map([['dnevnik', 'v1']]);
    const { calls, load } = countingLoader(table);
    let now = 1_000;
    const cache = createServiceCache(load, { clock: () => now });

    assert.equal(await cache.get('dnevnik'), 'v1');
    table.set('dnevnik', 'v2');
    now += SERVICE_CACHE_TTL_MS - 1;
    assert.equal(await cache.get('dnevnik'), 'v1');
    assert.deepEqual(calls, ['dnevnik']);
  });

  test('reads a changed service after the TTL', async () => {
    const table = new Map([['dnevnik', 'v1']]);
    const { calls, load } = countingLoader(table);
    let now = 1_000;
    const cache = createServiceCache(load, { clock: () => now });

    await cache.get('dnevnik');
    table.set('dnevnik', 'v2');
    now += SERVICE_CACHE_TTL_MS;
    assert.equal(await cache.get('dnevnik'), 'v2');
    assert.equal(calls.length, 2);
  });

  test('does not cache unknown clients', async () => {
    const table = new Map<string, string>();
    const { calls, load } = countingLoader(table);
    const cache = createServiceCache(load, { clock: () => 1_000 });

    assert.equal(await cache.get('unknown'), undefined);
    table.set('unknown', 'v1');
    assert.equal(await cache.get('unknown'), 'v1');
    assert.equal(calls.length, 2);
  });

  test('shares one load between concurrent misses', async () => {
    const { calls, load } = countingLoader(new Map([['dnevnik', 'v1']]));
    const cache = createServiceCache(load, { clock: () => 1_000 });

    const values = await Promise.all([cache.get('dnevnik'), cache.get('dnevnik'), cache.get('dnevnik')]);
    assert.deepEqual(values, ['v1', 'v1', 'v1']);
    assert.equal(calls.length, 1);
  });

  test('does not cache a failed load', async () => {
    let fail = true;
    const cache = createServiceCache(
      async () => {
        if (fail) {
          throw new Error('database unavailable');
        }
        return 'v1';
      },
      { clock: () => 1_000 },
    );

    await assert.rejects(cache.get('dnevnik'), /database unavailable/);
    fail = false;
    assert.equal(await cache.get('dnevnik'), 'v1');
  });
});
