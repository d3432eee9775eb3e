import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { authorizationUrl, DEMO_PASSWORD, LOGINS } from './helpers/hardening-flows.js';
import { freePort, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { CHROMIUM_ARGS, chromiumAvailable, chromiumPath, serviceGate } from './helpers/services.js';

/** Console messages about blocked content; Chromium reports every CSP violation there. */
function watchViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) {
      violations.push(message.text());
    }
  });
  return violations;
}

describe('Content-Security-Policy in a real browser', await serviceGate(chromiumAvailable), () => {
  let propusk: RunningPropusk;
  let browser: Browser;
  let catcher: Server;
  let rpBase: string;
  const received: string[] = [];

  before(async () => {
    const rpPort = await freePort();
    rpBase = `http://localhost:${rpPort}`;
    // Stands in for a service's redirect URI that takes response_mode=form_post.
    catcher = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
      });
    });
    await new Promise<void>((resolve) => catcher.listen(rpPort, '127.0.0.1', resolve));
    propusk = await startPropusk({ rpBase });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  });

  after(async () => {
    await browser?.close();
    await propusk?.stop();
    await new Promise((resolve) => catcher?.close(resolve));
  });

  test('our pages run their script under the nonce and break no rule', async () => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    const violations = watchViolations(page);
    await page.goto(`${propusk.issuer}/login`);
    // The enhancement script unhides this button; it runs only if the nonce is right.
    await page.getByRole('button', { name: 'Показать пароль' }).waitFor({ state: 'visible' });
    await page.getByLabel('Телефон, электронная почта или СНИЛС').fill(LOGINS.teacherParent);
    await page.getByLabel('Пароль', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('heading', { name: 'Выберите роль' }).waitFor();
    await page.getByRole('button', { name: /^Учитель/ }).click();
    await page.getByRole('heading', { name: /Здравствуйте/ }).waitFor();
    const stylesheetApplied = await page.evaluate(() => getComputedStyle(document.querySelector('main') as Element).maxWidth);
    assert.equal(stylesheetApplied, '512px', 'the stylesheet loaded');
    await page.getByRole('link', { name: 'Выйти' }).click();
    await page.getByRole('button', { name: 'Выйти' }).waitFor();
    assert.deepEqual(violations, []);
    await context.close();
  });

  test('form_post page submits to the service by its hashed inline script', async () => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    const violations = watchViolations(page);
    const redirectUri = `${rpBase}/dnevnik/callback`;
    await page.goto(authorizationUrl(propusk.issuer, 'dnevnik', { response_mode: 'form_post', redirect_uri: redirectUri }));
    await page.getByLabel('Телефон, электронная почта или СНИЛС').fill(LOGINS.teacherParent);
    await page.getByLabel('Пароль', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.waitForURL(redirectUri);
    assert.match(await page.content(), /received/);
    const post = received.find((entry) => entry.startsWith('POST /dnevnik/callback'));
    assert.ok(post !== undefined, `the service got no POST: ${received.join(' | ')}`);
    assert.match(post, /(^| |&)code=/, 'the POST carries the code');
    assert.deepEqual(violations, []);
    await context.close();
  });
});
