// The form-action directive of the Content-Security-Policy: every page limits
// its forms to Propusk itself, and a page whose form ends in a redirect to a
// service allows that service's registered origin, and no other. Chromium
// checks form-action on each redirect after a form submission, so the logins,
// the role choice, the way back from the unavailable page and the logout are
// walked in Chromium against a service on another origin.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { authorizationUrl, IssuerBrowser, localOrigin, LOGINS, DEMO_PASSWORD } from './helpers/hardening-flows.js';
import type { Hop } from './helpers/browser.js';
import { freePort, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { CHROMIUM_ARGS, chromiumAvailable, chromiumPath, serviceGate } from './helpers/services.js';

/** Return the sources of a policy's form-action directive, or undefined when it has none. */
function formActionSources(policy: string | null): string[] | undefined {
  const directive = (policy ?? '')
    .split(';')
    .map((part) => part.trim().split(/\s+/))
    .find(([name]) => name === 'form-action');
  return directive?.slice(1);
}

/** Start a stand-in for the services' origin that records each request and responds with a short text. */
async function startServiceOrigin(received: string[]): Promise<{ server: Server; origin: string }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('service reached');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${port}` };
}

function stopServer(server: Server | undefined): Promise<unknown> {
  return new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
}

describe('form-action in the policy of each page', () => {
  let propusk: RunningPropusk;
  let origin: string;
  const serviceOrigin = 'http://localhost:3001';

  before(async () => {
    propusk = await startPropusk();
    origin = localOrigin(propusk);
  });
  after(async () => propusk?.stop());

  const policyOf = (hop: Hop) => formActionSources(hop.headers.get('content-security-policy'));

  test('login page allows the service origin', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const page = await b.follow(authorizationUrl(propusk.issuer, 'dnevnik'));

    assert.equal(page.status, 200);
    assert.deepEqual(policyOf(page), ["'self'", serviceOrigin]);
  });

  test('pages without a service allow only Propusk', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    for (const path of ['/', '/healthz', '/interaction/unknown', '/oidc/session/end']) {
      const hop = await b.request(path);
      assert.deepEqual(policyOf(hop), ["'self'"], `${path} (status ${hop.status})`);
    }
  });

  test('an unregistered redirect_uri adds nothing', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const hop = await b.request(authorizationUrl(propusk.issuer, 'dnevnik', { redirect_uri: 'http://localhost:9/dnevnik/callback' }));

    assert.equal(hop.status, 400, 'the provider shows an error page');
    assert.deepEqual(policyOf(hop), ["'self'"]);
  });

  test('logout allows the registered post-logout origin', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const query = new URLSearchParams({ client_id: 'dnevnik', post_logout_redirect_uri: `${serviceOrigin}/dnevnik/` });
    const hop = await b.request(`/oidc/session/end?${query.toString()}`);

    assert.equal(hop.status, 200);
    assert.deepEqual(policyOf(hop), ["'self'", serviceOrigin]);
  });

  test('form_post page keeps its script hash and allows the service origin', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const login = await b.follow(authorizationUrl(propusk.issuer, 'dnevnik', { response_mode: 'form_post' }));
    const action = /<form method="post" action="([^"]+)"/.exec(login.body)?.[1];
    const csrf = /name="csrf" value="([^"]*)"/.exec(login.body)?.[1];
    assert.ok(action !== undefined, 'the login page has its form');
    assert.ok(csrf !== undefined, 'the login form has its CSRF token');
    const formPost = await b.follow(action, { form: { csrf, login: LOGINS.teacherParent, password: DEMO_PASSWORD } });

    assert.equal(formPost.status, 200, 'the provider answers with the form_post page');
    assert.match(formPost.body, new RegExp(`action="${serviceOrigin}/dnevnik/callback"`));
    const policy = formPost.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src [^;]*'sha256-/, 'the provider hashed its inline script');
    assert.deepEqual(formActionSources(policy), ["'self'", serviceOrigin]);
  });
});

describe('form-action in Chromium', await serviceGate(chromiumAvailable), () => {
  let propusk: RunningPropusk;
  let browser: Browser;
  let service: Server;
  let serviceOrigin: string;
  const received: string[] = [];

  before(async () => {
    ({ server: service, origin: serviceOrigin } = await startServiceOrigin(received));
    propusk = await startPropusk({ rpBase: serviceOrigin });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  });
  after(async () => {
    await browser?.close();
    await propusk?.stop();
    await stopServer(service);
  });

  /** Open a fresh page that collects Chromium's console reports of blocked content. */
  async function openPage(): Promise<{ page: Page; violations: string[] }> {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) {
        violations.push(message.text());
      }
    });
    return { page, violations };
  }

  async function logIn(page: Page, login: string): Promise<void> {
    await page.getByLabel('Телефон, электронная почта или СНИЛС').fill(login);
    await page.getByLabel('Пароль', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Войти' }).click();
  }

  test('login and role choice reach the service', async () => {
    const { page, violations } = await openPage();
    const loginResponse = await page.goto(authorizationUrl(propusk.issuer, 'biblioteka', { redirect_uri: `${serviceOrigin}/biblioteka/callback` }));
    assert.deepEqual(formActionSources((await loginResponse?.allHeaders())?.['content-security-policy'] ?? null), ["'self'", serviceOrigin]);

    await logIn(page, LOGINS.teacherParent);
    await page.getByRole('heading', { name: 'Выберите роль' }).waitFor();
    await page.getByRole('button', { name: /^Учитель/ }).click();
    await page.waitForURL(`${serviceOrigin}/biblioteka/callback?**`);

    assert.ok(received.some((entry) => /^GET \/biblioteka\/callback\?code=/.test(entry)), `the service got no code: ${received.join(' | ')}`);
    assert.deepEqual(violations, []);
    await page.context().close();
  });

  test('the way back from the unavailable page reaches the service', async () => {
    const { page, violations } = await openPage();
    await page.goto(authorizationUrl(propusk.issuer, 'zhurnal', { redirect_uri: `${serviceOrigin}/zhurnal/callback` }));
    await logIn(page, LOGINS.studentOnly);
    await page.getByRole('button', { name: 'Вернуться в сервис' }).click();
    await page.waitForURL(`${serviceOrigin}/zhurnal/callback?**`);

    assert.match(page.url(), /[?&]error=access_denied(&|$)/);
    assert.deepEqual(violations, []);
    await page.context().close();
  });

  test('logout confirmation reaches the post-logout address', async () => {
    const { page, violations } = await openPage();
    await page.goto(authorizationUrl(propusk.issuer, 'dnevnik', { redirect_uri: `${serviceOrigin}/dnevnik/callback` }));
    await logIn(page, LOGINS.teacherParent);
    await page.waitForURL(`${serviceOrigin}/dnevnik/callback?**`);

    const query = new URLSearchParams({ client_id: 'dnevnik', post_logout_redirect_uri: `${serviceOrigin}/dnevnik/` });
    await page.goto(`${propusk.issuer}/oidc/session/end?${query.toString()}`);
    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.waitForURL(`${serviceOrigin}/dnevnik/**`);

    assert.ok(page.url().startsWith(`${serviceOrigin}/dnevnik/`), page.url());
    assert.deepEqual(violations, []);
    await page.context().close();
  });

  // Without this check the tests above would also pass in a browser that
  // ignores form-action on redirects.
  test('Chromium blocks a form redirect that form-action does not allow', async () => {
    const port = await freePort();
    const sender = createServer((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(303, { location: `${serviceOrigin}/not-allowed` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "form-action 'self'" });
      res.end('<!doctype html><form method="post" action="/submit"><button type="submit">Send</button></form>');
    });
    await new Promise<void>((resolve) => sender.listen(port, '127.0.0.1', resolve));
    try {
      const { page, violations } = await openPage();
      await page.goto(`http://localhost:${port}/`);
      const reported = page.waitForEvent('console', { predicate: (message) => /form-action/.test(message.text()) });
      await page.getByRole('button', { name: 'Send' }).click();
      await reported;

      assert.ok(!received.some((entry) => entry.includes('/not-allowed')), 'the blocked redirect reached the service');
      assert.ok(violations.some((text) => text.includes('form-action')), violations.join(' | '));
      await page.context().close();
    } finally {
      await stopServer(sender);
    }
  });
});
