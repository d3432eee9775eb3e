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
/** The hidden return fields of a sign-out page, which a browser posts along with the confirmation. */
function returnFields(page: string): Record<string, string> {
  const fields = [...page.matchAll(/<input type="hidden" form="op\.logoutForm" name="([^"]+)" value="([^"]*)">/g)];
  return Object.fromEntries(fields.map((match) => [match[1] as string, unescapeHtml(match[2] as string)]));
}

function unescapeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Return the unescaped address of the error page's «Выйти» (or "Sign out") link to a fresh sign-out page. */
function freshLogoutLink(page: string): string | undefined {
  const href = /<a class="button-link primary" href="([^"]+)">(?:Выйти|Sign out)<\/a>/.exec(page)?.[1];
  return href === undefined ? undefined : unescapeHtml(href);
}

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
  const confirm = (browser: TestBrowser, page: string, extra: Record<string, string> = {}) =>
    browser.request('/oidc/session/end/confirm', { form: { ...returnFields(page), xsrf: formField(page, 'xsrf'), logout: 'yes', ...extra }, headers: HTML });

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
  test('stale confirmation: fresh link returns to service', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const request = { client_id: 'dnevnik', post_logout_redirect_uri: dnevnik.postLogoutRedirectUri, state: 'first "tab" <&>' };
    const firstTab = await browser.request(`/oidc/session/end?${new URLSearchParams(request).toString()}`, { headers: HTML });
    assert.deepEqual(returnFields(firstTab.body), request, 'the sign-out page posts the return parameters along');
    await browser.request('/oidc/session/end', { headers: HTML });

    const stale = await confirm(browser, firstTab.body);
    assert.equal(stale.status, 400);
    assert.match(stale.body, /Вы пока не вышли/);
    assert.doesNotMatch(stale.body, /first "tab" <&>/, 'the state is escaped in the page');
    const again = freshLogoutLink(stale.body);
    assert.ok(again !== undefined, 'the page links to a fresh sign-out page');
    const fresh = new URL(again);
    assert.equal(`${fresh.origin}${fresh.pathname}`, `${propusk.issuer}/oidc/session/end`);
    assert.deepEqual(Object.fromEntries(fresh.searchParams), request);
    assert.equal(await isSignedIn(browser), true);

    const freshPage = await browser.request(again, { headers: HTML });
    assert.equal(freshPage.status, 200);
    const done = await confirm(browser, freshPage.body);
    assert.equal(done.status, 303);
    const back = new URL(done.location ?? '');
    assert.equal(`${back.origin}${back.pathname}`, dnevnik.postLogoutRedirectUri);
    assert.equal(back.searchParams.get('state'), request.state);
    assert.equal(await isSignedIn(browser), false);
  });

  test('stale confirmation: id_token_hint client, English', async () => {
    const { browser, tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const query = new URLSearchParams({ id_token_hint: tokens.id_token as string, post_logout_redirect_uri: dnevnik.postLogoutRedirectUri, ui_locales: 'en' });
    const firstTab = await browser.request(`/oidc/session/end?${query.toString()}`, { headers: HTML });
    // The client comes from the token's audience; the token itself is not carried.
    assert.deepEqual(returnFields(firstTab.body), { client_id: 'dnevnik', post_logout_redirect_uri: dnevnik.postLogoutRedirectUri, ui_locales: 'en' });
    await browser.request('/oidc/session/end', { headers: HTML });

    const stale = await confirm(browser, firstTab.body);
    assert.equal(stale.status, 400);
    assert.match(stale.body, /This sign-out page is out of date/, 'the carried ui_locales sets the language');
    const fresh = new URL(freshLogoutLink(stale.body) ?? '');
    assert.equal(fresh.searchParams.get('client_id'), 'dnevnik');
    assert.equal(fresh.searchParams.get('post_logout_redirect_uri'), dnevnik.postLogoutRedirectUri);
    assert.equal(fresh.searchParams.get('ui_locales'), 'en');
    assert.equal(fresh.searchParams.get('id_token_hint'), null);
  });

  test('forged return fields: no open redirect', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const forgedForm = { xsrf: 'x', logout: 'yes', client_id: 'dnevnik', post_logout_redirect_uri: 'https://attacker.invalid/after', state: '"><script>alert(1)</script>' };
    const forged = await new TestBrowser(propusk.issuer).request('/oidc/session/end/confirm', { form: forgedForm, headers: HTML });
    assert.equal(forged.status, 400);
    assert.doesNotMatch(forged.body, /<script>alert/, 'the state is escaped');
    const again = freshLogoutLink(forged.body);
    assert.ok(again?.startsWith(`${propusk.issuer}/oidc/session/end?`), `the link stays on Propusk: ${again}`);

    // The fresh page checks the address against the service's registration, so the person is never sent there.
    const followed = await browser.request(again as string, { headers: HTML });
    assert.equal(followed.status, 400);
    assert.equal(followed.location, undefined);
    assert.match(followed.body, /Сервис отправил неверный запрос на выход/);
    assert.equal(await isSignedIn(browser), true);
  });

  test('malformed return fields: dropped from link', async () => {
    const cases: Array<{ label: string; form: string; expected: Record<string, string> }> = [
      { label: 'script URL', form: 'client_id=dnevnik&post_logout_redirect_uri=javascript%3Aalert(1)&state=s', expected: { client_id: 'dnevnik' } },
      { label: 'address without client', form: 'post_logout_redirect_uri=https%3A%2F%2Fattacker.invalid%2F&state=s', expected: {} },
      { label: 'repeated client_id', form: 'client_id=dnevnik&client_id=zhurnal&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3001%2Fdnevnik%2F', expected: {} },
      { label: 'markup in ui_locales', form: 'ui_locales=%22%3E%3Cb%3E', expected: {} },
      { label: 'overlong state', form: `client_id=dnevnik&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3001%2Fdnevnik%2F&state=${'s'.repeat(3000)}`, expected: { client_id: 'dnevnik', post_logout_redirect_uri: 'http://localhost:3001/dnevnik/' } },
      // 400 characters, but 2,400 once percent-encoded in the fresh link.
      { label: 'state long when encoded', form: `client_id=dnevnik&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3001%2Fdnevnik%2F&state=${encodeURIComponent('Ж'.repeat(400))}`, expected: { client_id: 'dnevnik', post_logout_redirect_uri: 'http://localhost:3001/dnevnik/' } },
    ];
    for (const { label, form, expected } of cases) {
      const response = await fetch(new URL('/oidc/session/end/confirm', propusk.issuer), {
        method: 'POST',
        headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ru' },
        body: `xsrf=x&logout=yes&${form}`,
      });
      const body = await response.text();
      assert.equal(response.status, 400, `${label}: status`);
      const link = new URL(freshLogoutLink(body) ?? '');
      assert.deepEqual(Object.fromEntries(link.searchParams), expected, label);
    }
  });
});
