import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { formField, TestBrowser, type Hop } from './helpers/browser.js';
import { authorizationUrl, DEMO_PASSWORD } from './helpers/hardening-flows.js';
import { passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { freePort, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { CHROMIUM_ARGS, chromiumAvailable, chromiumPath, serviceGate } from './helpers/services.js';
import { isSignedIn } from './helpers/session-cookies.js';

/*
 * RP-Initiated Logout 1.0 requires the end-session endpoint to accept a form
 * POST. Propusk responds with 303 to the same endpoint by GET, so the
 * confirmation page (and its form token) decides, with the session cookie
 * that a cross-site POST does not carry.
 */

const END_SESSION = '/oidc/session/end';
const HTML = { accept: 'text/html' };

/** Send a POST with a raw body and content type to `url`, without cookies, as a form on another site would. */
async function rawPost(url: string, body: BodyInit, contentType: string, headers: Record<string, string> = {}): Promise<Hop> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, 'accept-language': 'ru', ...HTML, ...headers },
    body,
    redirect: 'manual',
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  return { url, status: response.status, location: response.headers.get('location') ?? undefined, body: await response.text(), headers: response.headers };
}

function assertRejectionPage(hop: Hop, expectedStatus: number, language: 'ru' | 'en', issuer: string, label: string): void {
  assert.equal(hop.status, expectedStatus, `${label}: status`);
  assert.equal(hop.location, undefined, `${label}: no redirect`);
  assert.match(hop.headers.get('content-type') ?? '', /^text\/html/, `${label}: an HTML page`);
  assert.equal(hop.headers.get('cache-control'), 'no-store', `${label}: not cached`);
  const nonce = /'nonce-([^']+)'/.exec(hop.headers.get('content-security-policy') ?? '')?.[1];
  assert.ok(nonce !== undefined, `${label}: the page has its security policy`);
  assert.ok(hop.body.includes(`<link rel="stylesheet" href="/assets/propusk.css" nonce="${nonce}">`), `${label}: the stylesheet carries the policy's nonce`);
  if (language === 'ru') {
    assert.match(hop.body, /Сервис отправил неверный запрос на выход/, `${label}: Russian message`);
    assert.match(hop.body, /<html lang="ru">/, `${label}: Russian page`);
  } else {
    assert.match(hop.body, /The service sent an invalid sign-out request/, `${label}: English message`);
    assert.match(hop.body, /<html lang="en">/, `${label}: English page`);
  }
  assert.ok(hop.body.includes(`href="${issuer}${END_SESSION}">`), `${label}: a plain sign-out link`);
}

describe('end-session endpoint by POST', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  const logLines: string[] = [];

  before(async () => {
    propusk = await startPropusk({ logLines });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
  });
  after(async () => propusk.stop());

  test('form POST: 303 to GET, confirmation signs out', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const form = { client_id: 'dnevnik', post_logout_redirect_uri: dnevnik.postLogoutRedirectUri, state: 'st-Ж 1&2+3%' };
    // No cookie, as from a form on a service's page: the POST alone decides nothing.
    const posted = await new TestBrowser(propusk.issuer).request(END_SESSION, { form, headers: HTML });
    assert.equal(posted.status, 303);
    assert.equal(posted.headers.get('cache-control'), 'no-store');
    assert.ok(posted.location !== undefined, 'the POST redirects');
    const target = new URL(posted.location);
    assert.equal(`${target.origin}${target.pathname}`, `${propusk.issuer}${END_SESSION}`);
    assert.deepEqual(Object.fromEntries(target.searchParams), form);
    assert.equal(await isSignedIn(browser), true, 'the POST signed nobody out');

    const confirmation = await browser.request(posted.location, { headers: HTML });
    assert.equal(confirmation.status, 200);
    assert.match(confirmation.body, /Выйти из Пропуска на этом устройстве\?/);
    assert.doesNotMatch(confirmation.body, /data-auto-submit/, 'without an id_token_hint the person confirms');
    assert.equal(await isSignedIn(browser), true, 'the confirmation page signed nobody out');

    const done = await browser.request('/oidc/session/end/confirm', { form: { xsrf: formField(confirmation.body, 'xsrf'), logout: 'yes' }, headers: HTML });
    assert.equal(done.status, 303);
    const back = new URL(done.location ?? '');
    assert.equal(`${back.origin}${back.pathname}`, dnevnik.postLogoutRedirectUri);
    assert.equal(back.searchParams.get('state'), form.state);
    assert.equal(await isSignedIn(browser), false);
  });

  test('id_token_hint POST: carried, never logged', async () => {
    const { browser, tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const idToken = tokens.id_token as string;
    const posted = await browser.request(END_SESSION, { form: { id_token_hint: idToken, post_logout_redirect_uri: dnevnik.postLogoutRedirectUri }, headers: HTML });
    assert.equal(posted.status, 303);
    const target = new URL(posted.location ?? '');
    assert.equal(target.searchParams.get('id_token_hint'), idToken);

    // The hint names the person signed in here, so the page submits itself.
    const confirmation = await browser.request(posted.location as string, { headers: HTML });
    assert.equal(confirmation.status, 200);
    assert.match(confirmation.body, /data-auto-submit="true"/);
    const payload = idToken.split('.')[1] as string;
    const leaked = logLines.filter((line) => line.includes(payload));
    assert.deepEqual(leaked, [], 'no log line holds the ID token');
  });

  test('trailing slash, other case: 303', async () => {
    for (const path of [`${END_SESSION}/`, '/oidc/Session/End']) {
      const posted = await rawPost(`${propusk.issuer}${path}`, 'client_id=dnevnik&state=xyz', 'application/x-www-form-urlencoded');
      assert.equal(posted.status, 303, path);
      assert.equal(posted.location, `${propusk.issuer}${END_SESSION}?client_id=dnevnik&state=xyz`, path);
    }
  });

  test('empty form POST: 303 to bare GET', async () => {
    const posted = await rawPost(`${propusk.issuer}${END_SESSION}`, '', 'application/x-www-form-urlencoded; charset=UTF-8');
    assert.equal(posted.status, 303);
    assert.equal(posted.location, `${propusk.issuer}${END_SESSION}`);
  });

  test('bad POST bodies: 400 pages, ru and en', async () => {
    const endSession = `${propusk.issuer}${END_SESSION}`;
    const urlencoded = 'application/x-www-form-urlencoded';
    const cases: Array<{ label: string; body: BodyInit; contentType: string; url?: string }> = [
      { label: 'JSON body', body: JSON.stringify({ client_id: 'dnevnik' }), contentType: 'application/json' },
      { label: 'text body', body: 'client_id=dnevnik', contentType: 'text/plain' },
      { label: 'multipart body', body: '--b\r\n\r\n--b--', contentType: 'multipart/form-data; boundary=b' },
      { label: 'other charset', body: 'client_id=dnevnik', contentType: `${urlencoded}; charset=windows-1251` },
      { label: 'repeated parameter', body: 'client_id=dnevnik&state=a&state=b', contentType: urlencoded },
      { label: 'unknown parameter', body: 'client_id=dnevnik&prompt=none', contentType: urlencoded },
      { label: 'empty parameter name', body: '=dnevnik', contentType: urlencoded },
      { label: 'query string', body: 'client_id=dnevnik', contentType: urlencoded, url: `${endSession}?state=a` },
      { label: 'invalid UTF-8', body: new Uint8Array([...Buffer.from('state='), 0xff]), contentType: urlencoded },
      { label: 'escape not UTF-8', body: 'client_id=dnevnik&state=%ff', contentType: urlencoded },
      { label: 'truncated UTF-8 escape', body: 'client_id=dnevnik&state=%E2%82', contentType: urlencoded },
      { label: 'malformed escape', body: 'client_id=dnevnik&state=%zz', contentType: urlencoded },
    ];
    for (const { label, body, contentType, url = endSession } of cases) {
      assertRejectionPage(await rawPost(url, body, contentType), 400, 'ru', propusk.issuer, `${label} (ru)`);
      assertRejectionPage(await rawPost(url, body, contentType, { 'accept-language': 'en' }), 400, 'en', propusk.issuer, `${label} (en)`);
    }
  });

  test('oversized POST body: 413 page', async () => {
    const endSession = `${propusk.issuer}${END_SESSION}`;
    const urlencoded = 'application/x-www-form-urlencoded';
    // Room for the end-session URL itself in the 8 KiB of the redirect.
    const fits = await rawPost(endSession, `id_token_hint=${'a'.repeat(7 * 1024)}`, urlencoded);
    assert.equal(fits.status, 303, 'a body of 7 KiB is accepted');

    const declared = await rawPost(endSession, `id_token_hint=${'a'.repeat(8 * 1024)}`, urlencoded);
    assertRejectionPage(declared, 413, 'ru', propusk.issuer, 'Content-Length over the limit');

    // Chunked, so the size shows only while reading.
    const chunk = new TextEncoder().encode('a'.repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) {
          controller.enqueue(new TextEncoder().encode('state='));
        }
        if (sent >= 8) {
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent += 1;
      },
    });
    assertRejectionPage(await rawPost(endSession, stream, urlencoded), 413, 'ru', propusk.issuer, 'chunked body over the limit');

    // Raw UTF-8 in the body is percent-encoded in the redirect: 3 KB of «ж» become 9 KB of URL.
    const expanding = await rawPost(endSession, `state=${'ж'.repeat(1500)}`, urlencoded);
    assertRejectionPage(expanding, 413, 'ru', propusk.issuer, 'redirect URL over the limit');
  });

  test('GET end-session: behaviour unchanged', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const query = new URLSearchParams({ client_id: 'dnevnik', post_logout_redirect_uri: dnevnik.postLogoutRedirectUri, state: 'st-get' });
    const page = await browser.request(`${END_SESSION}?${query.toString()}`, { headers: HTML });
    assert.equal(page.status, 200);
    assert.match(page.body, /Выйти из Пропуска на этом устройстве\?/);
    assert.doesNotMatch(page.body, /data-auto-submit/);
    const done = await browser.request('/oidc/session/end/confirm', { form: { xsrf: formField(page.body, 'xsrf'), logout: 'yes' }, headers: HTML });
    assert.equal(done.status, 303);
    assert.equal(done.location, `${dnevnik.postLogoutRedirectUri}?state=st-get`);

    const anonymous = await new TestBrowser(propusk.issuer).request(END_SESSION, { headers: HTML });
    assert.equal(anonymous.status, 200);
    assert.match(anonymous.body, /data-auto-submit="true"/, 'without a session the page submits itself');
  });
});

describe('end-session POST in Chromium', await serviceGate(chromiumAvailable), () => {
  let propusk: RunningPropusk;
  let browser: Browser;
  let service: Server;
  let port: number;
  const received: string[] = [];

  before(async () => {
    port = await freePort();
    service = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      if (req.url === '/logout-form') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><form method="post" action="${propusk.issuer}${END_SESSION}">
<input type="hidden" name="client_id" value="dnevnik">
<input type="hidden" name="post_logout_redirect_uri" value="http://localhost:${port}/dnevnik/">
<input type="hidden" name="state" value="from-form">
<button type="submit">Sign out</button></form>`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('service reached');
    });
    await new Promise<void>((resolve) => service.listen(port, '127.0.0.1', resolve));
    // The services live at localhost:PORT; the form page is opened at 127.0.0.1, another site than Propusk's localhost.
    propusk = await startPropusk({ rpBase: `http://localhost:${port}` });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  });
  after(async () => {
    await browser?.close();
    await propusk?.stop();
    await new Promise((resolve) => (service === undefined ? resolve(undefined) : service.close(resolve)));
  });

  test('cross-site form POST: confirmation while signed in', async () => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    await page.goto(authorizationUrl(propusk.issuer, 'dnevnik', { redirect_uri: `http://localhost:${port}/dnevnik/callback` }));
    await page.getByLabel('Телефон, электронная почта или СНИЛС').fill('+79160000003');
    await page.getByLabel('Пароль', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.waitForURL(`http://localhost:${port}/dnevnik/callback?**`);

    await page.goto(`http://127.0.0.1:${port}/logout-form`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${propusk.issuer}${END_SESSION}?**`);
    await page.getByText('Выйти из Пропуска на этом устройстве?').waitFor();
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('state'), 'from-form');
    // Without the session cookie the GET would get the page that submits itself.
    assert.equal(await page.getByRole('button', { name: 'Выйти' }).getAttribute('data-auto-submit'), null, 'the GET carried the session cookie');
    assert.ok(!received.some((entry) => entry.startsWith('GET /dnevnik/?')), 'the page did not sign out by itself');

    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.waitForURL(`http://localhost:${port}/dnevnik/?**`);
    assert.equal(new URL(page.url()).searchParams.get('state'), 'from-form');
    await page.goto(`${propusk.issuer}/`);
    assert.equal(await page.getByText(/Здравствуйте, /).count(), 0, 'the person is signed out');
    await context.close();
  });
});
