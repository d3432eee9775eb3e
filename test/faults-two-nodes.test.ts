// Two Propusk processes behind one load balancer, sharing PostgreSQL and
// Redis: a flow may start on one node and end on the other, and a node that
// dies in the middle of a login loses nothing the browser needs.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { formField, TestBrowser, type Hop } from './helpers/browser.js';
import { logsOnFailure, startFaultCluster, type FaultCluster, type NodeName } from './helpers/faults-cluster.js';
import {
  authorizationRequest,
  callbackUrl,
  chooseRole,
  client,
  DEMO_PASSWORD,
  passwordLogin,
  redeem,
  submitLogin,
  type RelyingParty,
} from './helpers/oidc-flow.js';
import { privateServicesAvailable } from './helpers/private-services.js';
import { serviceGate } from './helpers/services.js';
import { isSignedIn } from './helpers/session-cookies.js';

function roleKind(tokens: { claims(): Record<string, unknown> | undefined }): string | undefined {
  return (tokens.claims()?.role as { kind?: string } | undefined)?.kind;
}

/** RP-initiated logout in this browser, confirmed on the logout page. */
async function logOut(browser: TestBrowser, rp: RelyingParty, idToken: string): Promise<Hop> {
  const endSession = client.buildEndSessionUrl(rp.config, { id_token_hint: idToken, post_logout_redirect_uri: rp.postLogoutRedirectUri });
  const confirm = await browser.follow(endSession.toString());
  assert.equal(confirm.status, 200, `logout page: ${confirm.status}`);
  const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
  assert.ok(action !== undefined, 'the logout page has a form');
  return browser.follow(action, { form: { xsrf: formField(confirm.body, 'xsrf'), logout: 'yes' } });
}

/** Send prompt=none in this browser and return the code (when the session exists) or the error. */
async function silentLogin(browser: TestBrowser, rp: RelyingParty): Promise<{ code: string | null; error: string | null }> {
  const auth = await authorizationRequest(rp, { prompt: 'none' });
  const callback = callbackUrl(await browser.follow(auth.url.toString()), rp);
  return { code: callback.searchParams.get('code'), error: callback.searchParams.get('error') };
}

describe('two nodes sharing PostgreSQL and Redis', await serviceGate(privateServicesAvailable), () => {
  let cluster: FaultCluster;
  let dnevnik: RelyingParty;
  let biblioteka: RelyingParty;

  before(async () => {
    cluster = await startFaultCluster();
    dnevnik = await cluster.service('dnevnik');
    biblioteka = await cluster.service('biblioteka');
  });
  afterEach(logsOnFailure(() => cluster));
  after(async () => {
    await cluster?.destroy();
  });

  test('login on A, refresh and logout on B', async () => {
    cluster.use('a');
    const { tokens, browser } = await passwordLogin(cluster.issuer, dnevnik, 'ivanova@example.ru');
    assert.equal(roleKind(tokens), 'parent');

    cluster.use('b');
    assert.equal(await isSignedIn(browser), true, 'node B sees the session created on A');
    const refreshed = await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(roleKind(refreshed), 'parent');

    const done = await logOut(browser, dnevnik, tokens.id_token as string);
    assert.equal(done.status, 303);
    assert.ok(done.location?.startsWith(dnevnik.postLogoutRedirectUri), `logout went to ${done.location}`);

    for (const name of ['a', 'b'] as NodeName[]) {
      cluster.use(name);
      assert.equal(await isSignedIn(browser), false, `node ${name} still shows the session`);
      assert.equal((await silentLogin(browser, dnevnik)).error, 'login_required', `prompt=none on node ${name}`);
      // No offline_access, so the logout also ended the grant behind the refresh token.
      await assert.rejects(client.refreshTokenGrant(dnevnik.config, refreshed.refresh_token as string), { error: 'invalid_grant' });
    }
  });

  test('node killed after showing the login form', async () => {
    cluster.use('a');
    const browser = new TestBrowser(cluster.issuer);
    const auth = await authorizationRequest(dnevnik);
    const form = await browser.follow(auth.url.toString());
    assert.equal(form.status, 200);
    assert.match(form.body, /name="password"/);

    const killed = await cluster.nodes.a.kill();
    assert.equal(killed.signal, 'SIGKILL');
    cluster.use('b');

    const hop = await submitLogin(browser, form, '+79160000003', DEMO_PASSWORD);
    const tokens = await redeem(dnevnik, callbackUrl(hop, dnevnik), auth);
    assert.equal(roleKind(tokens), 'parent');
    assert.equal(await isSignedIn(browser), true);

    // A restarted node serves the session that B created while it was down.
    await cluster.restart('a');
    cluster.use('a');
    assert.ok((await silentLogin(browser, dnevnik)).code, 'node A, restarted, knows the session');
  });

  test('node killed while the role chooser is open', async () => {
    cluster.use('b');
    const browser = new TestBrowser(cluster.issuer);
    const auth = await authorizationRequest(biblioteka);
    const form = await browser.follow(auth.url.toString());
    const chooser = await submitLogin(browser, form, '+79160000001', DEMO_PASSWORD);
    assert.equal(chooser.status, 200, `expected the role chooser, got ${chooser.status} ${chooser.location ?? ''}`);
    assert.match(chooser.body, /Выберите роль/);

    await cluster.nodes.b.kill();
    cluster.use('a');

    const hop = await chooseRole(browser, chooser, 'Учитель');
    const tokens = await redeem(biblioteka, callbackUrl(hop, biblioteka), auth);
    assert.equal(roleKind(tokens), 'teacher');

    await cluster.restart('b');
    cluster.use('b');
    const refreshed = await client.refreshTokenGrant(biblioteka.config, tokens.refresh_token as string);
    assert.equal(roleKind(refreshed), 'teacher');
  });
});
