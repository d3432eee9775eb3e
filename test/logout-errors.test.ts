import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formField, TestBrowser } from './helpers/browser.js';
import { passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { isSignedIn } from './helpers/session-cookies.js';

/*
 * A failed sign-out page must name the sign-out, state whether the person is
 * still signed in, and link to a way to finish. The confirmation
 * form's token belongs to the latest sign-out page of the session, so a page
 * opened earlier (another tab) cannot confirm.
 */
describe('sign-out errors', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
  });
  after(async () => propusk.stop());

  // A browser requests HTML; oidc-provider returns errors to other clients as JSON.
  const HTML = { accept: 'text/html' };
  const confirm = (browser: TestBrowser, page: string) =>
    browser.request('/oidc/session/end/confirm', { form: { xsrf: formField(page, 'xsrf'), logout: 'yes' }, headers: HTML });

  test('stale sign-out confirmation: still signed in, fresh page linked', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const firstTab = await browser.request('/oidc/session/end');
    const secondTab = await browser.request('/oidc/session/end');
    assert.equal(firstTab.status, 200);
    assert.equal(secondTab.status, 200);

    const stale = await confirm(browser, firstTab.body);
    assert.equal(stale.status, 400);
    assert.match(stale.body, /Эта страница выхода устарела/);
    assert.match(stale.body, /Вы пока не вышли/);
    assert.doesNotMatch(stale.body, /запрос на вход/, 'a sign-out error does not speak of signing in');
    const again = /<a class="button-link primary" href="([^"]+)">Выйти<\/a>/.exec(stale.body)?.[1];
    assert.equal(again, `${propusk.issuer}/oidc/session/end`);
    assert.equal(await isSignedIn(browser), true, 'the stale confirmation signed nobody out');

    // The fresh page the link leads to signs out.
    const fresh = await browser.request(again);
    const done = await browser.follow((await confirm(browser, fresh.body)).location ?? '/');
    assert.match(done.body, /Вы вышли из Пропуска/);
    assert.equal(await isSignedIn(browser), false);
  });

  test('old sign-out page after the sign-out elsewhere: neutral page, fresh page linked', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const firstTab = await browser.request('/oidc/session/end');
    const secondTab = await browser.request('/oidc/session/end');
    const signedOut = await confirm(browser, secondTab.body);
    assert.equal(signedOut.status, 303);
    assert.equal(await isSignedIn(browser), false);

    const late = await confirm(browser, firstTab.body);
    assert.equal(late.status, 400);
    assert.match(late.body, /Эта страница выхода устарела/);
    assert.doesNotMatch(late.body, /Вы пока не вышли|Вы вышли/);
    // The fresh page, without a session, confirms by itself and ends at the signed-out page.
    const fresh = await browser.request(`${propusk.issuer}/oidc/session/end`, { headers: HTML });
    const done = await browser.follow((await confirm(browser, fresh.body)).location ?? '/');
    assert.match(done.body, /Вы вышли из Пропуска/);
  });

  test('cross-site confirmation without the session cookie: not reported as a sign-out', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    // A form on another site posts without the SameSite=Lax cookie, which is what a browser without cookies sends.
    const forged = await new TestBrowser(propusk.issuer).request('/oidc/session/end/confirm', { form: { xsrf: 'x', logout: 'yes' }, headers: HTML });
    assert.equal(forged.status, 400);
    assert.doesNotMatch(forged.body, /Вы вышли/);
    assert.match(forged.body, /Эта страница выхода устарела/);
    assert.equal(await isSignedIn(browser), true);
  });

  test('sign-out without a session: Propusk page with a button', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const page = await browser.request('/oidc/session/end', { headers: HTML });
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.body, /Submitting Callback|does not support JavaScript/);
    assert.match(page.body, /<button type="submit" form="op\.logoutForm" name="logout" value="yes"[^>]*data-auto-submit="true">Выйти<\/button>/);
    const done = await browser.follow((await confirm(browser, page.body)).location ?? '/');
    assert.match(done.body, /Вы вышли из Пропуска/);
  });

  test('unregistered post_logout_redirect_uri: sign-out error in Russian and English', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const query = new URLSearchParams({ client_id: 'dnevnik', post_logout_redirect_uri: 'https://attacker.invalid/after' });
    const ru = await browser.request(`/oidc/session/end?${query.toString()}`, { headers: HTML });
    assert.equal(ru.status, 400);
    assert.equal(ru.location, undefined);
    assert.match(ru.body, /Сервис отправил неверный запрос на выход/);
    assert.doesNotMatch(ru.body, /attacker\.invalid/, 'the page does not echo the address');
    assert.match(ru.body, /href="[^"]+\/oidc\/session\/end">Выйти</);

    const en = await browser.request(`/oidc/session/end?${query.toString()}`, { headers: { ...HTML, 'accept-language': 'en' } });
    assert.equal(en.status, 400);
    assert.match(en.body, /The service sent an invalid sign-out request/);
    assert.equal(await isSignedIn(browser), true, 'a rejected request signs nobody out');
  });
});
