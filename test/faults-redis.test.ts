// Redis stopped under two running nodes. Documented behaviour (REDIS_URL in
// docs/configuration.md): requests that need Redis get 503 with Retry-After,
// /readyz returns 503, and the nodes recover by themselves when Redis is back.
// This Redis keeps nothing across a restart, so sessions and interactions
// are lost. faults-restart.test.ts covers a Redis that persists its data.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { TestBrowser, type Hop } from './helpers/browser.js';
import { logsOnFailure, startFaultCluster, type FaultCluster } from './helpers/faults-cluster.js';
import { assertRetryLater, boundedFetch, NODE_NAMES, rawRefresh, readiness, waitForReadiness } from './helpers/faults-probes.js';
import { authorizationRequest, callbackUrl, client, DEMO_PASSWORD, passwordLogin, redeem, submitLogin, type RelyingParty } from './helpers/oidc-flow.js';
import { privateServicesAvailable } from './helpers/private-services.js';
import { serviceGate } from './helpers/services.js';
import { isSignedIn } from './helpers/session-cookies.js';

describe('Redis outage under two nodes', await serviceGate(privateServicesAvailable), () => {
  let cluster: FaultCluster;
  let dnevnik: RelyingParty;
  let signedIn: TestBrowser;
  let refreshToken: string;
  /** A login form fetched before the outage, and the browser that has its cookies. */
  let pending: { browser: TestBrowser; form: Hop };

  before(async () => {
    cluster = await startFaultCluster();
    dnevnik = await cluster.service('dnevnik');
  });
  afterEach(logsOnFailure(() => cluster));
  after(async () => {
    await cluster?.destroy();
  });

  test('Redis down: 503 with Retry-After', async () => {
    cluster.use('a');
    const login = await passwordLogin(cluster.issuer, dnevnik, 'ivanova@example.ru');
    signedIn = login.browser;
    refreshToken = login.tokens.refresh_token as string;
    const formBrowser = new TestBrowser(cluster.issuer);
    pending = { browser: formBrowser, form: await formBrowser.follow((await authorizationRequest(dnevnik)).url.toString()) };
    assert.equal(pending.form.status, 200);
    await waitForReadiness(cluster, 200);

    await cluster.redis.stop();
    await waitForReadiness(cluster, 503);
    for (const name of NODE_NAMES) {
      cluster.use(name);
      const label = `node ${name.toUpperCase()} without Redis`;
      assert.deepEqual((await readiness(cluster, name)).checks, { database: 'ok', migrations: 'ok', redis: 'failed' }, `${label}: /readyz`);
      assert.equal((await boundedFetch(`${cluster.nodes[name].origin}/healthz`)).status, 200, `${label}: /healthz`);
      assertRetryLater(await boundedFetch((await authorizationRequest(dnevnik)).url.toString()), `${label}: new authorization request`);
      assertRetryLater(await signedIn.request((await authorizationRequest(dnevnik)).url.toString()), `${label}: single sign-on hop`);
      assertRetryLater(await submitLogin(formBrowser, pending.form, '+79160000001', DEMO_PASSWORD), `${label}: login form post`);
      assertRetryLater(await rawRefresh(cluster, 'dnevnik', refreshToken), `${label}: refresh grant`);
    }
  });

  test('Redis back empty: nodes recover, new logins work', async () => {
    await cluster.redis.start();
    await waitForReadiness(cluster, 200);

    // Redis kept nothing, so the session is gone, and with it the refresh token: oidc-provider
    // binds refresh tokens to the session unless offline_access was granted, which Propusk never grants.
    for (const name of NODE_NAMES) {
      cluster.use(name);
      assert.equal(await isSignedIn(signedIn), false, `node ${name.toUpperCase()} still shows the lost session`);
      await assert.rejects(client.refreshTokenGrant(dnevnik.config, refreshToken), { error: 'invalid_grant' });
    }

    // The stale session cookie must not get in the way of a new login.
    cluster.use('b');
    const again = await passwordLogin(cluster.issuer, dnevnik, 'ivanova@example.ru', { browser: signedIn });
    for (const name of NODE_NAMES) {
      cluster.use(name);
      assert.equal(await isSignedIn(signedIn), true, `node ${name.toUpperCase()} does not see the new session`);
      const userinfo = await client.fetchUserInfo(dnevnik.config, again.tokens.access_token, again.tokens.claims()?.sub as string);
      assert.equal(userinfo.email, 'ivanova@example.ru');
    }
  });

  test('form from before the outage: expired, not a server error', async () => {
    cluster.use('a');
    const browser = new TestBrowser(cluster.issuer);
    const auth = await authorizationRequest(dnevnik);
    const form = await browser.follow(auth.url.toString());
    const stale = await submitLogin(pending.browser, pending.form, '+79160000001', DEMO_PASSWORD);
    assert.ok(stale.status >= 400, `stale form returned ${stale.status}`);
    assert.ok(stale.status < 500, `stale form returned ${stale.status}`);

    // A login started after the outage completes.
    const tokens = await redeem(dnevnik, callbackUrl(await submitLogin(browser, form, '+79160000003', DEMO_PASSWORD), dnevnik), auth);
    assert.ok(tokens.id_token);
  });

  test('frozen Redis: 503 within the command timeout', async () => {
    cluster.use('a');
    const { tokens, browser } = await passwordLogin(cluster.issuer, dnevnik, '+79160000003');

    cluster.redis.freeze();
    try {
      await waitForReadiness(cluster, 503);
      for (const name of NODE_NAMES) {
        cluster.use(name);
        const label = `node ${name.toUpperCase()} with Redis frozen`;
        assertRetryLater(await boundedFetch((await authorizationRequest(dnevnik)).url.toString()), `${label}: new authorization request`);
        assertRetryLater(await rawRefresh(cluster, 'dnevnik', tokens.refresh_token as string), `${label}: refresh grant`);
      }
    } finally {
      cluster.redis.thaw();
    }

    await waitForReadiness(cluster, 200);
    // Redis lost nothing while frozen: the session and the refresh token are intact.
    cluster.use('b');
    assert.equal(await isSignedIn(browser), true);
    const refreshed = await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
    assert.ok(refreshed.access_token);
  });
});
