import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestBrowser } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, passwordLogin, redeem, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { sessionCookie, sessionUidOf } from './helpers/session-cookies.js';

const IDLE_TTL = 600;
/** activityWriteIntervalMs for this idle timeout: 1/60 of it. */
const WRITE_INTERVAL_MS = (IDLE_TTL * 1000) / 60;
/** Added to a stored session's expiry to mark the row: a save of the session replaces it. */
const MARK_MS = 7 * 3600 * 1000;

describe('session writes on single sign-on hops', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let biblioteka: RelyingParty;

  before(async () => {
    propusk = await startPropusk({ env: { PROPUSK_SESSION_IDLE_TTL: String(IDLE_TTL) } });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    biblioteka = await relyingParty(propusk.issuer, 'biblioteka');
  });
  after(async () => propusk.stop());

  const db = () => propusk.runtime.store.db;

  async function hop(browser: TestBrowser, rp: RelyingParty): Promise<void> {
    const auth = await authorizationRequest(rp);
    await redeem(rp, callbackUrl(await browser.follow(auth.url.toString()), rp), auth);
  }

  async function setLastActive(uid: string, at: number): Promise<void> {
    await db().updateTable('session_activity').set({ last_active_at: at }).where('session_uid', '=', uid).execute();
  }

  async function lastActive(uid: string): Promise<number> {
    const row = await db().selectFrom('session_activity').select('last_active_at').where('session_uid', '=', uid).executeTakeFirstOrThrow();
    return row.last_active_at;
  }

  /** Move the stored session's expiry by MARK_MS and return the marked value. */
  async function markSessionRow(id: string): Promise<number> {
    const row = await db().selectFrom('oidc_payloads').select('expires_at').where('model', '=', 'Session').where('id', '=', id).executeTakeFirstOrThrow();
    const marked = (row.expires_at as number) + MARK_MS;
    await db().updateTable('oidc_payloads').set({ expires_at: marked }).where('model', '=', 'Session').where('id', '=', id).execute();
    return marked;
  }

  async function sessionExpiry(id: string): Promise<number | null> {
    const row = await db().selectFrom('oidc_payloads').select('expires_at').where('model', '=', 'Session').where('id', '=', id).executeTakeFirstOrThrow();
    return row.expires_at;
  }

  test('hop to the same service writes no session record', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    await hop(browser, dnevnik);
    const id = sessionCookie(browser).value;
    const uid = await sessionUidOf(db(), browser);
    const recent = Date.now() - WRITE_INTERVAL_MS / 2;
    await setLastActive(uid, recent);
    const marked = await markSessionRow(id);

    await hop(browser, dnevnik);

    assert.equal(await lastActive(uid), recent, 'activity recorded less than the interval ago is not written again');
    assert.equal(await sessionExpiry(id), marked, 'the unchanged session is not saved');
  });

  test('hop records activity older than the interval', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const uid = await sessionUidOf(db(), browser);
    const before = Date.now();
    await setLastActive(uid, before - WRITE_INTERVAL_MS - 1000);

    await hop(browser, dnevnik);

    assert.ok((await lastActive(uid)) >= before, 'the hop is recorded as activity');
  });

  test('hop to a new service saves the session', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const id = sessionCookie(browser).value;
    const marked = await markSessionRow(id);

    await hop(browser, biblioteka);

    assert.notEqual(await sessionExpiry(id), marked, 'the session gained an authorization, so it is saved');
  });

  test('idle session still ends', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const uid = await sessionUidOf(db(), browser);
    await setLastActive(uid, Date.now() - IDLE_TTL * 1000 - 1000);

    const auth = await authorizationRequest(dnevnik, { prompt: 'none' });
    const error = callbackUrl(await browser.follow(auth.url.toString()), dnevnik).searchParams.get('error');

    assert.equal(error, 'login_required');
  });
});
