import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import {
  authorizationRequest,
  callbackUrl,
  client,
  DEMO_PASSWORD,
  passwordLogin,
  relyingParty,
  submitLogin,
  type RelyingParty,
} from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { isSignedIn, sessionCookie, sessionStored, sessionUidOf } from './helpers/session-cookies.js';

const IDLE_TTL = 600;
const SESSION_TTL = 3600;
const SHARED_DEVICE_TTL = 900;

function oauthError(code: string) {
  return (error: unknown) => {
    assert.equal((error as { error?: string }).error, code);
    return true;
  };
}

describe('idle and absolute session lifetimes on the server', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let biblioteka: RelyingParty;

  before(async () => {
    propusk = await startPropusk({
      env: {
        PROPUSK_SESSION_IDLE_TTL: String(IDLE_TTL),
        PROPUSK_SESSION_TTL: String(SESSION_TTL),
        PROPUSK_SHARED_DEVICE_SESSION_TTL: String(SHARED_DEVICE_TTL),
      },
    });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    biblioteka = await relyingParty(propusk.issuer, 'biblioteka');
  });
  after(async () => propusk.stop());

  const db = () => propusk.runtime.store.db;

  /** Move a session's clock back, as if its login or its last activity were `secondsAgo` seconds ago. */
  async function backdate(uid: string, column: 'last_active_at' | 'authenticated_at', secondsAgo: number) {
    await db().updateTable('session_activity').set({ [column]: Date.now() - secondsAgo * 1000 }).where('session_uid', '=', uid).execute();
  }

  async function promptNone(browser: TestBrowser): Promise<string | null> {
    const auth = await authorizationRequest(dnevnik, { prompt: 'none' });
    return callbackUrl(await browser.follow(auth.url.toString()), dnevnik).searchParams.get('error');
  }

  test('an idle session is refused on the home page and destroyed', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const uid = await sessionUidOf(db(), browser);
    const id = sessionCookie(browser).value;
    await backdate(uid, 'last_active_at', IDLE_TTL + 5);

    assert.equal(await isSignedIn(browser), false);
    assert.equal(await sessionStored(db(), id), false);
  });

  test('an idle session gets login_required with prompt=none', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    await backdate(await sessionUidOf(db(), browser), 'last_active_at', IDLE_TTL + 5);
    assert.equal(await promptNone(browser), 'login_required');
  });

  test('an idle session gets the login page at the authorization endpoint', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    await backdate(await sessionUidOf(db(), browser), 'last_active_at', IDLE_TTL + 5);
    const auth = await authorizationRequest(biblioteka);
    const page = await browser.follow(auth.url.toString());
    assert.equal(page.status, 200);
    assert.match(page.body, /name="password"/);
  });

  test('activity keeps a session alive and is recorded', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const uid = await sessionUidOf(db(), browser);
    await backdate(uid, 'last_active_at', IDLE_TTL - 60);

    assert.equal(await isSignedIn(browser), true);
    const row = await db().selectFrom('session_activity').select('last_active_at').where('session_uid', '=', uid).executeTakeFirstOrThrow();
    assert.ok(Date.now() - row.last_active_at < 10_000, 'the home page visit counts as activity');
    assert.equal(await promptNone(browser), null);
  });

  test('an active session ends at its absolute lifetime', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    await backdate(await sessionUidOf(db(), browser), 'authenticated_at', SESSION_TTL + 1);
    assert.equal(await isSignedIn(browser), false);
  });

  test('the session record does not outlive the absolute lifetime', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const uid = await sessionUidOf(db(), browser);
    const activity = await db().selectFrom('session_activity').selectAll().where('session_uid', '=', uid).executeTakeFirstOrThrow();
    assert.equal(activity.expires_at - activity.authenticated_at, SESSION_TTL * 1000);

    // oidc-provider saves the session again on each authorization request.
    await sleep(1500);
    callbackUrl(await browser.follow((await authorizationRequest(biblioteka)).url.toString()), biblioteka);
    const stored = await db()
      .selectFrom('oidc_payloads')
      .select('expires_at')
      .where('model', '=', 'Session')
      .where('id', '=', sessionCookie(browser).value)
      .executeTakeFirstOrThrow();
    const overrun = (stored.expires_at ?? 0) - activity.expires_at;
    assert.ok(overrun >= 0, `the stored session expires ${overrun} ms after the absolute end`);
    assert.ok(overrun <= 1000, `the stored session expires ${overrun} ms after the absolute end`);
  });

  test('a «Чужой компьютер» session has the shorter lifetime', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik);
    const page = await browser.follow(auth.url.toString());
    callbackUrl(await submitLogin(browser, page, '+79160000003', DEMO_PASSWORD, { shared_device: '1' }), dnevnik);
    const uid = await sessionUidOf(db(), browser);
    const activity = await db().selectFrom('session_activity').selectAll().where('session_uid', '=', uid).executeTakeFirstOrThrow();
    assert.equal(activity.shared_device, 1);
    assert.equal(activity.expires_at - activity.authenticated_at, SHARED_DEVICE_TTL * 1000);

    await backdate(uid, 'authenticated_at', SHARED_DEVICE_TTL + 1);
    assert.equal(await isSignedIn(browser), false);
  });

  test('a session the server has no record of is refused', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    await db().deleteFrom('session_activity').where('session_uid', '=', await sessionUidOf(db(), browser)).execute();
    assert.equal(await isSignedIn(browser), false);
  });

  test('a service’s tokens do not count as activity, nor end an idle session', async () => {
    const { browser, tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const uid = await sessionUidOf(db(), browser);
    await backdate(uid, 'last_active_at', IDLE_TTL + 5);

    const refreshed = await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
    const row = await db().selectFrom('session_activity').select('last_active_at').where('session_uid', '=', uid).executeTakeFirstOrThrow();
    assert.ok(Date.now() - row.last_active_at > IDLE_TTL * 1000, 'the refresh did not touch the session');

    // When the browser comes back, the idle session ends, and with it the tokens bound to it.
    assert.equal(await isSignedIn(browser), false);
    await assert.rejects(client.refreshTokenGrant(dnevnik.config, refreshed.refresh_token as string), oauthError('invalid_grant'));
  });

  test('refresh tokens stop at the absolute lifetime of their session', async () => {
    const { browser, tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    await backdate(await sessionUidOf(db(), browser), 'authenticated_at', SESSION_TTL + 1);
    await assert.rejects(client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string), oauthError('invalid_grant'));
  });
});
