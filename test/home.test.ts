import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { formField, TestBrowser } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, chooseRole, DEMO_PASSWORD, relyingParty, submitLogin } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

describe('home page and login page rendering', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk();
  });
  after(async () => propusk.stop());

  test('anonymous home offers the login', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const home = await browser.request('/');
    assert.equal(home.status, 200);
    assert.match(home.body, /href="\/login"/);
  });

  test('home shows the person, the active role, the switcher and that role’s services', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const loginPage = await browser.follow('/login');
    assert.match(loginPage.body, /Телефон, электронная почта или СНИЛС/);
    const chooser = await submitLogin(browser, loginPage, 'ivanova@example.ru', DEMO_PASSWORD);
    assert.match(chooser.body, /Выберите роль/);
    const home = await chooseRole(browser, chooser, 'Учитель');
    assert.equal(home.status, 200);
    assert.equal(new URL(home.url).search, '', 'the authorization response is dropped from the address');
    assert.match(home.body, /Здравствуйте, Мария Петровна!/);
    assert.match(home.body, /<strong>Учитель — Школа № 1<\/strong>/);
    assert.match(home.body, />Журнал</);
    assert.doesNotMatch(home.body, />Дневник</);

    const parentRole = /<option value="([^"]+)">Родитель/.exec(home.body)?.[1];
    assert.ok(parentRole !== undefined, 'the switcher lists the parent role');
    const switched = await browser.follow('/role', { form: { csrf: formField(home.body, 'csrf'), role: parentRole } });
    assert.match(switched.body, /Роль изменена/);
    assert.match(switched.body, /<strong>Родитель — Иванов Пётр, 5 «А»<\/strong>/);
    assert.match(switched.body, />Дневник</);
    assert.doesNotMatch(switched.body, />Журнал</);

    // A service of the active role opens straight away: no password, no question.
    const dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    const auth = await authorizationRequest(dnevnik);
    const hop = await browser.follow(auth.url.toString());
    assert.ok(callbackUrl(hop, dnevnik).searchParams.get('code'));
  });

  test('role switch without the CSRF token is refused', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const hop = await browser.request('/role', { form: { role: 'x' } });
    assert.equal(hop.status, 403);
  });

  test('ui_locales=en gives the English login page', async () => {
    const dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik, { ui_locales: 'en' });
    const page = await browser.follow(auth.url.toString());
    assert.match(page.body, /<html lang="en">/);
    assert.match(page.body, /Phone, e-mail or SNILS/);
    const wrong = await submitLogin(browser, page, '+79160000001', 'nope');
    assert.match(wrong.body, /Wrong login or password/);
  });

  test('request values shown on pages are escaped', async () => {
    const dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    const browser = new TestBrowser(propusk.issuer);
    const markup = '"><script>alert(1)</script>\r\nSet-Cookie: x=1';
    const auth = await authorizationRequest(dnevnik, { login_hint: markup, ui_locales: '<b>en</b>' });
    const page = await browser.follow(auth.url.toString());
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.body, /<script>alert/);
    assert.match(page.body, /&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.equal(page.headers.get('x-1'), null);

    const wrong = await submitLogin(browser, page, markup, 'x');
    assert.doesNotMatch(wrong.body, /<script>alert/);
  });

  test('pages carry the security headers', async () => {
    const browser = new TestBrowser(propusk.issuer);
    for (const url of ['/', '/.well-known/openid-configuration', '/oidc/auth?client_id=nope']) {
      const hop = await browser.request(url);
      assert.match(hop.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, url);
      assert.equal(hop.headers.get('x-content-type-options'), 'nosniff', url);
      assert.equal(hop.headers.get('referrer-policy'), 'no-referrer', url);
    }
  });

  test('a forged Host header does not reach discovery', async () => {
    const response = await fetch(`${propusk.issuer}/.well-known/openid-configuration`, {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    const text = await response.text();
    assert.doesNotMatch(text, /evil\.example/);
    assert.match(text, new RegExp(`"authorization_endpoint":"${propusk.issuer}/oidc/auth"`));

    const viaHost = await new Promise<string>((resolve, reject) => {
      const request = http.get(`${propusk.issuer}/.well-known/openid-configuration`, { headers: { host: 'evil.example' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      });
      request.on('error', reject);
    });
    assert.doesNotMatch(viaHost, /evil\.example/);
    assert.match(viaHost, /"issuer":"http:\/\/localhost:/);
  });
});
