import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formField, TestBrowser } from './helpers/browser.js';
import {
  authorizationRequest,
  callbackUrl,
  chooseRole,
  DEMO_PASSWORD,
  passwordLogin,
  relyingParty,
  submitLogin,
  type RelyingParty,
} from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { browserWithSessionCookie, isSignedIn, sessionCookie, sessionStored } from './helpers/session-cookies.js';

/*
 * Session fixation: every authentication and every change of role must give
 * the browser a new session id and delete the old one, so that a session id
 * someone planted or copied earlier never carries the new privilege.
 */
describe('session id on login, re-authentication and role switch', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let biblioteka: RelyingParty;

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    biblioteka = await relyingParty(propusk.issuer, 'biblioteka');
  });
  after(async () => propusk.stop());

  async function assertOldIdDead(old: { value: string; signature: string }, browser: TestBrowser) {
    assert.notEqual(sessionCookie(browser).value, old.value, 'the session id changed');
    assert.equal(await sessionStored(propusk.runtime.store.db, old.value), false, 'the old session id is deleted');
    assert.equal(await isSignedIn(browserWithSessionCookie(propusk.issuer, old)), false, 'a copy of the old cookie signs nobody in');
    assert.equal(await isSignedIn(browser), true, 'the browser itself is still signed in');
  }

  test('login replaces a planted session id', async () => {
    const browser = new TestBrowser(propusk.issuer);
    // The logout page stores an anonymous session: an attacker can get one and plant its cookie.
    const logout = await browser.request('/oidc/session/end');
    assert.equal(logout.status, 200);
    const planted = sessionCookie(browser);

    const auth = await authorizationRequest(dnevnik);
    const page = await browser.follow(auth.url.toString());
    callbackUrl(await submitLogin(browser, page, '+79160000003', DEMO_PASSWORD), dnevnik);
    await assertOldIdDead(planted, browser);
  });

  test('re-authentication with prompt=login gives a new session id', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const before = sessionCookie(browser);

    const auth = await authorizationRequest(dnevnik, { prompt: 'login' });
    const page = await browser.follow(auth.url.toString());
    assert.match(page.body, /name="password"/, 'prompt=login asks for the password again');
    callbackUrl(await submitLogin(browser, page, '+79160000003', DEMO_PASSWORD), dnevnik);
    await assertOldIdDead(before, browser);
  });

  test('role switch on the home page gives a new session id', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const chooser = await submitLogin(browser, await browser.follow('/login'), 'ivanova@example.ru', DEMO_PASSWORD);
    const home = await chooseRole(browser, chooser, 'Учитель');
    assert.match(home.body, /Здравствуйте, Мария Петровна!/);
    const before = sessionCookie(browser);

    const parentRole = /<option value="([^"]+)">Родитель/.exec(home.body)?.[1];
    assert.ok(parentRole !== undefined, 'the switcher lists the parent role');
    const switched = await browser.follow('/role', { form: { csrf: formField(home.body, 'csrf'), role: parentRole } });
    assert.match(switched.body, /Роль изменена/);
    await assertOldIdDead(before, browser);
  });

  test('role chooser of a service gives a new session id', async () => {
    const { browser } = await passwordLogin(propusk.issuer, biblioteka, '+79160000001', { role: 'Учитель' });
    const before = sessionCookie(browser);

    const auth = await authorizationRequest(biblioteka, { prompt: 'select_account' });
    const chooser = await browser.follow(auth.url.toString());
    assert.match(chooser.body, /Выберите роль/);
    callbackUrl(await chooseRole(browser, chooser, 'Родитель'), biblioteka);
    await assertOldIdDead(before, browser);
  });

  test('single sign-on without a new authentication keeps the session id', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const before = sessionCookie(browser);
    const auth = await authorizationRequest(biblioteka);
    callbackUrl(await browser.follow(auth.url.toString()), biblioteka);
    assert.equal(sessionCookie(browser).value, before.value);
  });
});
