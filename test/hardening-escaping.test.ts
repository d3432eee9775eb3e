import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { importRecords } from '../src/importer/index.js';
import { escapeHtml } from '../src/ui/html.js';
import type { Hop } from './helpers/browser.js';
import { authorizationUrl, IssuerBrowser, localOrigin, loginPage, logoutPage, signIn, DEMO_PASSWORD } from './helpers/hardening-flows.js';
import { serviceSecret } from './helpers/oidc-flow.js';
import { DEMO_DATA, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

// Values stored through the import: each carries its own tag, so a partial reflection shows too.
const STORED = {
  orgName: 'ГБОУ <iframe src=javascript:alert(1)> № 9',
  orgShort: 'Школа <svg onload=alert(2)>',
  service: 'Сервис"><script>alert(3)</script>{kinds}',
  family: 'Фамилия<b id="f">\'',
  given: 'Имя<script>alert(4)</script>',
  middle: 'Отчество"><img src=x onerror=alert(5)>',
  childFamily: 'Ребёнок<a href=javascript:alert(6)>',
  childGiven: 'Дитя{client}</p>',
  className: '5 «<u>А</u>»"\'',
};

// Values the request carries, with CR LF aimed at the response headers and the log.
const SENT = {
  loginHint: '"><script>alert(7)</script>\r\nSet-Cookie: injected=1',
  uiLocales: '<script>alert(8)</script>\r\nX-Injected: 1 en',
  acceptLanguage: '<script>alert(9)</script>;q=1, en',
  login: '"><img src=x onerror=alert(10)>\r\nX-Injected: 1',
  state: '<script>alert(11)</script>\r\nX-Injected: 1',
};

const TAGS = ['<iframe', '<svg', '<script>alert', '<b id="f">', '<img src=x', '<a href=javascript', '</p>{', '<u>А</u>'];

const MARKUP_SERVICE = 'markup-service';
const MARKUP_PERSON_LOGIN = 'markup.parent@example.ru';
const MARKUP_CHILD_LOGIN = 'markup.child@example.ru';
const MARKUP_SERVICE_REDIRECT = { redirect_uri: serviceSecret('dnevnik').redirectUri };

function markupRecords(): unknown {
  const dnevnik = DEMO_DATA.services.find((service) => service.client_id === 'dnevnik') as Record<string, unknown>;
  return {
    organizations: [{ id: 'markup-school', kind: 'school', name: STORED.orgName, short_name: STORED.orgShort, region: 'Москва' }],
    services: [
      {
        ...dnevnik,
        client_id: MARKUP_SERVICE,
        client_secret: 'markup-service-secret-0123456789abcdef',
        display_name: STORED.service,
        home_url: 'http://localhost:3001/markup/login',
        redirect_uris: [serviceSecret('dnevnik').redirectUri],
        accepted_role_kinds: ['teacher'],
      },
    ],
    people: [
      {
        id: 'markup-parent',
        family_name: STORED.family,
        given_name: STORED.given,
        middle_name: STORED.middle,
        email: MARKUP_PERSON_LOGIN,
        initial_password: DEMO_PASSWORD,
        roles: [{ kind: 'teacher', organization: 'markup-school' }, { kind: 'parent' }],
        children: ['markup-child'],
      },
      {
        id: 'markup-child',
        family_name: STORED.childFamily,
        given_name: STORED.childGiven,
        email: MARKUP_CHILD_LOGIN,
        initial_password: DEMO_PASSWORD,
        roles: [{ kind: 'student', organization: 'markup-school', class: STORED.className }],
      },
    ],
  };
}

/** No stored or sent markup appears raw, and `shownValues` appear escaped (so the page did show them). */
function assertEscaped(hop: Hop, shownValues: string[]): void {
  for (const tag of TAGS) {
    assert.ok(!hop.body.includes(tag), `${hop.url}: raw ${tag}`);
  }
  for (const value of [...Object.values(STORED), ...Object.values(SENT)]) {
    assert.ok(!hop.body.includes(value), `${hop.url}: raw ${JSON.stringify(value)}`);
  }
  for (const value of shownValues) {
    assert.ok(hop.body.includes(escapeHtml(value)), `${hop.url}: ${JSON.stringify(value)} is not shown escaped`);
  }
}

function assertNoHeaderInjection(hop: Hop): void {
  assert.equal(hop.headers.get('x-injected'), null, `${hop.url}: injected header`);
  for (const cookie of hop.headers.getSetCookie()) {
    assert.ok(!cookie.startsWith('injected'), `${hop.url}: injected cookie ${cookie}`);
  }
  hop.headers.forEach((value, name) => {
    assert.doesNotMatch(value, /[\r\n]/, `${hop.url}: CR or LF in ${name}`);
    if (name === 'location') {
      assert.doesNotMatch(value, /[<>"\s]/, `${hop.url}: unencoded characters in Location ${value}`);
    }
  });
  assert.ok(hop.status < 500, `${hop.url}: ${hop.status}`);
}

describe('escaping of stored and sent values', () => {
  let propusk: RunningPropusk;
  let origin: string;
  const logLines: string[] = [];
  const headers = { 'accept-language': SENT.acceptLanguage };

  before(async () => {
    propusk = await startPropusk({ logLines });
    origin = localOrigin(propusk);
    await importRecords(propusk.runtime.store, propusk.runtime, markupRecords());
  });
  after(async () => propusk?.stop());

  test('login page with login_hint, ui_locales and the login after an error', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const page = await loginPage(b, origin, MARKUP_SERVICE, { ...MARKUP_SERVICE_REDIRECT, login_hint: SENT.loginHint, ui_locales: SENT.uiLocales });
    assertEscaped(page, [STORED.service, SENT.loginHint]);
    const rejected = await b.submit(page, { login: SENT.login, password: 'wrong password' }, headers);
    assert.ok(rejected.status === 400 || rejected.status === 401 || rejected.status === 429, `rejected login: ${rejected.status}`);
    assertEscaped(rejected, [STORED.service, SENT.login.trim()]);
    b.hops.forEach(assertNoHeaderInjection);
  });

  test('role chooser: person name and role labels', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const chooser = await signIn(b, await loginPage(b, origin, 'biblioteka', { ui_locales: SENT.uiLocales }), MARKUP_PERSON_LOGIN, headers);
    assert.equal(chooser.status, 200);
    assertEscaped(chooser, [STORED.given, STORED.middle, STORED.orgShort, STORED.childFamily, STORED.childGiven, STORED.className]);
    b.hops.forEach(assertNoHeaderInjection);
  });

  test('unavailable page: service name', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const page = await signIn(b, await loginPage(b, origin, MARKUP_SERVICE, MARKUP_SERVICE_REDIRECT), MARKUP_CHILD_LOGIN, headers);
    assert.equal(page.status, 403);
    assertEscaped(page, [STORED.service]);
    b.hops.forEach(assertNoHeaderInjection);
  });

  test('home and logout pages: names, role labels, services', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const chooser = await signIn(b, await loginPage(b, origin, undefined), MARKUP_PERSON_LOGIN, headers);
    // The teacher role is the one at the markup school; the page is in English (Accept-Language).
    const teacherRole = [...chooser.body.matchAll(/name="role" value="([^"]+)"[^>]*>([^<]*)</g)].find((match) =>
      (match[2] as string).includes(escapeHtml(STORED.orgShort)),
    )?.[1];
    assert.ok(teacherRole !== undefined, 'the chooser offers the teacher role');
    const home = await b.submit(chooser, { role: teacherRole }, headers);
    assert.equal(home.status, 200);
    assertEscaped(home, [STORED.family, STORED.given, STORED.middle, STORED.orgShort, STORED.service, STORED.childFamily, STORED.className]);
    const switched = await b.follow(`${origin}/?switched=1&role=${encodeURIComponent(SENT.state)}`, { headers });
    assertEscaped(switched, [STORED.family]);

    const end = new URL('/oidc/session/end', origin);
    end.search = new URLSearchParams({ state: SENT.state, logout_hint: SENT.loginHint, ui_locales: SENT.uiLocales }).toString();
    const logout = await b.follow(end.toString(), { headers });
    assertEscaped(logout, []);
    assert.match(logout.body, /name="xsrf"/);
    assertEscaped(await logoutPage(b, origin), []);
    b.hops.forEach(assertNoHeaderInjection);
  });

  test('error pages and error redirects', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const pages = [
      await b.follow(`${origin}/oidc/auth?${new URLSearchParams({ client_id: SENT.state, redirect_uri: SENT.loginHint, ui_locales: SENT.uiLocales })}`, { headers }),
      await b.follow(authorizationUrl(origin, MARKUP_SERVICE, { redirect_uri: `https://evil.example/${SENT.state}` }), { headers }),
      await b.request(`${origin}/${encodeURIComponent(SENT.state)}`, { headers }),
      await b.request(`${origin}/interaction/${encodeURIComponent(SENT.state)}`, { headers }),
      await b.request(`${origin}/%zz${encodeURIComponent(SENT.state)}`, { headers }),
      await b.request(`${origin}/role`, { form: { csrf: SENT.state, role: SENT.loginHint }, headers }),
    ];
    for (const page of pages) {
      assert.ok(page.status >= 400, `${page.url}: ${page.status}`);
      assertEscaped(page, []);
    }
    // Errors the provider can send back to the service go into the redirect, encoded.
    const redirected = await b.request(authorizationUrl(origin, MARKUP_SERVICE, { ...MARKUP_SERVICE_REDIRECT, state: SENT.state, prompt: 'none', ui_locales: SENT.uiLocales }), { headers });
    assert.equal(redirected.status, 303);
    const callback = new URL(redirected.location as string);
    assert.equal(callback.searchParams.get('state'), SENT.state);
    assert.equal(callback.searchParams.get('error'), 'login_required');
    b.hops.forEach(assertNoHeaderInjection);
  });

  test('log lines are single JSON lines without secrets or typed identifiers', async () => {
    assert.ok(logLines.length > 20, 'the log was captured');
    for (const chunk of logLines) {
      assert.ok(chunk.endsWith('\n'), `log chunk does not end a line: ${JSON.stringify(chunk)}`);
      assert.equal(chunk.indexOf('\n'), chunk.length - 1, `log chunk is more than one line: ${JSON.stringify(chunk)}`);
      const entry = JSON.parse(chunk) as Record<string, unknown>;
      assert.equal(typeof entry.level, 'number');
      for (const value of [SENT.loginHint, SENT.login, DEMO_PASSWORD]) {
        assert.ok(!chunk.includes(JSON.stringify(value).slice(1, -1)), `logged in clear: ${chunk}`);
      }
    }
  });
});
