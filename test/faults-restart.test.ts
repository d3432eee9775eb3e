// A consumed refresh token stays consumed on every node after both nodes
// restart and after Redis restarts. Redis here persists every write to an
// append-only file, as a production Redis should, so sessions must survive
// its restart too.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { logsOnFailure, startFaultCluster, type FaultCluster, type NodeName } from './helpers/faults-cluster.js';
import { assertRetryLater, rawRefresh, waitForReadiness } from './helpers/faults-probes.js';
import { client, passwordLogin, type RelyingParty } from './helpers/oidc-flow.js';
import { privateServicesAvailable } from './helpers/private-services.js';
import { serviceGate } from './helpers/services.js';
import { isSignedIn } from './helpers/session-cookies.js';
import type { TestBrowser } from './helpers/browser.js';

/** One grant's refresh tokens: the first, consumed by a refresh, and the one that refresh issued. */
interface TokenFamily {
  consumed: string;
  current: string;
}

describe('consumed refresh tokens across restarts', await serviceGate(privateServicesAvailable), () => {
  let cluster: FaultCluster;
  let dnevnik: RelyingParty;

  /** Log in through node `loginNode` and refresh once through `refreshNode`. */
  async function tokenFamily(login: string, loginNode: NodeName, refreshNode: NodeName): Promise<{ family: TokenFamily; browser: TestBrowser }> {
    cluster.use(loginNode);
    const { tokens, browser } = await passwordLogin(cluster.issuer, dnevnik, login);
    cluster.use(refreshNode);
    const refreshed = await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
    return { family: { consumed: tokens.refresh_token as string, current: refreshed.refresh_token as string }, browser };
  }

  async function refreshOn(name: NodeName, refreshToken: string) {
    cluster.use(name);
    return client.refreshTokenGrant(dnevnik.config, refreshToken);
  }

  /**
   * Assert that one node rejects the consumed token and that the other then
   * rejects the current one, because oidc-provider revokes the grant on reuse.
   * So both nodes see the stored state.
   */
  async function assertReuseRejected(family: TokenFamily, first: NodeName, second: NodeName): Promise<void> {
    await assert.rejects(refreshOn(first, family.consumed), { error: 'invalid_grant' }, `consumed token accepted by node ${first.toUpperCase()}`);
    await assert.rejects(refreshOn(second, family.current), { error: 'invalid_grant' }, `token of a revoked grant accepted by node ${second.toUpperCase()}`);
  }

  before(async () => {
    cluster = await startFaultCluster({ appendOnlyRedis: true });
    dnevnik = await cluster.service('dnevnik');
  });
  afterEach(logsOnFailure(() => cluster));
  after(async () => {
    await cluster?.destroy();
  });

  test('after both nodes restart', async () => {
    const reused = await tokenFamily('ivanova@example.ru', 'a', 'b');
    const untouched = await tokenFamily('+79160000003', 'b', 'a');

    // Both at once: for a moment no node runs, and nothing in memory survives.
    await Promise.all([cluster.restart('a'), cluster.restart('b')]);

    assert.equal(await isSignedIn(untouched.browser), true, 'the session survives a restart of the nodes');
    await assertReuseRejected(reused.family, 'a', 'b');
    // The other grant still works, so the rejections above do not come from lost data.
    const rotated = await refreshOn('b', untouched.family.current);
    assert.ok(rotated.access_token);
    await assert.rejects(refreshOn('a', untouched.family.consumed), { error: 'invalid_grant' });
  });

  test('after Redis restarts with its append-only file', async () => {
    const reused = await tokenFamily('ivanova@example.ru', 'a', 'b');
    const untouched = await tokenFamily('+79160000003', 'b', 'a');

    await cluster.redis.stop();
    await cluster.redis.start();
    await waitForReadiness(cluster, 200);

    await assertReuseRejected(reused.family, 'b', 'a');
    const rotated = await refreshOn('a', untouched.family.current);
    assert.ok(rotated.access_token);
    for (const name of ['a', 'b'] as NodeName[]) {
      cluster.use(name);
      assert.equal(await isSignedIn(untouched.browser), true, `node ${name.toUpperCase()} lost the session kept in Redis`);
    }
  });

  test('refresh refused during a Redis outage keeps the token', async () => {
    const { family } = await tokenFamily('ivanova@example.ru', 'a', 'b');

    await cluster.redis.stop();
    try {
      await waitForReadiness(cluster, 503);
      // The refresh token lives in PostgreSQL, but the access token it would buy lives in Redis:
      // a refresh that cannot finish must fail before it consumes the token.
      cluster.use('a');
      assertRetryLater(await rawRefresh(cluster, 'dnevnik', family.current), 'refresh grant without Redis');
    } finally {
      await cluster.redis.start();
    }
    await waitForReadiness(cluster, 200);

    const refreshed = await refreshOn('b', family.current);
    assert.ok(refreshed.access_token, 'the refresh token refused during the outage still works');
  });
});
