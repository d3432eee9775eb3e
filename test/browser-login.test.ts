import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { pino } from 'pino';
import { startDemoRelyingParty } from '../src/demo/relying-party/server.js';
import { DEMO_PASSWORD } from './helpers/oidc-flow.js';
import { DEMO_DATA, freePort, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { CHROMIUM_ARGS, chromiumAvailable, chromiumPath, serviceGate } from './helpers/services.js';

const SCREENSHOT_DIR = new URL('../test-results/', import.meta.url).pathname;

describe('login in a real browser', await serviceGate(chromiumAvailable), () => {
  let propusk: RunningPropusk;
  let relyingParty: { url: string; close(): Promise<void> };
  let browser: Browser;

  before(async () => {
    const rpPort = await freePort();
    const rpBase = `http://localhost:${rpPort}`;
    propusk = await startPropusk({ rpBase });
    relyingParty = await startDemoRelyingParty({
      issuer: propusk.issuer,
      port: rpPort,
      host: '127.0.0.1',
      services: DEMO_DATA.services.map((service) => ({
        clientId: service.client_id,
        clientSecret: service.client_secret,
        displayName: service.client_id,
        displayNameEn: service.client_id,
        path: service.client_id,
      })),
      logger: pino({ level: 'silent' }),
    });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await relyingParty?.close();
    await propusk?.stop();
  });

  test('log in to Дневник, open Журнал without a password, switch role', async () => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    await page.goto(`${relyingParty.url}/dnevnik/`);
    await page.getByRole('link', { name: 'Войти через Пропуск' }).click();

    await page.getByLabel('Телефон, электронная почта или СНИЛС').fill('+7 916 000-00-01');
    const password = page.getByLabel('Пароль', { exact: true });
    await password.fill(DEMO_PASSWORD);
    assert.equal(await password.getAttribute('type'), 'password');
    await page.getByRole('button', { name: 'Показать пароль' }).click();
    assert.equal(await password.getAttribute('type'), 'text');
    await page.screenshot({ path: `${SCREENSHOT_DIR}login-page.png`, fullPage: true });
    await page.getByRole('button', { name: 'Войти' }).click();

    await page.waitForURL(`${relyingParty.url}/dnevnik/`);
    assert.match(await page.content(), /Родитель/);

    // Журнал: single sign-on, no password form on the way.
    await page.goto(`${relyingParty.url}/zhurnal/`);
    await page.getByRole('link', { name: 'Войти через Пропуск' }).click();
    await page.waitForURL(`${relyingParty.url}/zhurnal/`);
    assert.match(await page.content(), /Учитель/);

    // Библиотека accepts both roles: the session's active role (teacher, from
    // Журнал) is used at once; «Сменить роль» then shows the chooser, still
    // with no password.
    await page.goto(`${relyingParty.url}/biblioteka/`);
    await page.getByRole('link', { name: 'Войти через Пропуск' }).click();
    await page.waitForURL(`${relyingParty.url}/biblioteka/`);
    assert.match(await page.content(), /Учитель/);
    await page.getByRole('link', { name: 'Сменить роль' }).click();
    await page.getByRole('heading', { name: 'Выберите роль' }).waitFor();
    assert.equal(await page.getByLabel('Пароль', { exact: true }).count(), 0);
    await page.screenshot({ path: `${SCREENSHOT_DIR}role-chooser.png`, fullPage: true });
    await page.getByRole('button', { name: /^Родитель/ }).click();
    await page.waitForURL(`${relyingParty.url}/biblioteka/`);
    assert.match(await page.content(), /Родитель/);
    await page.screenshot({ path: `${SCREENSHOT_DIR}service-page.png`, fullPage: true });
    await context.close();
  });

  test('wrong password is announced on the page', async () => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    await page.goto(`${relyingParty.url}/dnevnik/`);
    await page.getByRole('link', { name: 'Войти через Пропуск' }).click();
    await page.getByLabel('Телефон, электронная почта или СНИЛС').fill('ivanova@example.ru');
    await page.getByLabel('Пароль', { exact: true }).fill('wrong password');
    await page.getByRole('button', { name: 'Войти' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Неверный логин или пароль/);
    assert.equal(await page.getByLabel('Телефон, электронная почта или СНИЛС').inputValue(), 'ivanova@example.ru');
    await context.close();
  });
});
