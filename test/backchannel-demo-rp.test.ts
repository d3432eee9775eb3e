// The demo relying party's back-channel logout endpoint against a real
// Propusk: logout in Дневник ends the person's open Журнал page too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { startDemoRelyingParty, type DemoRelyingParty, type DemoService } from '../src/demo/relying-party/server.js';
import { serviceAt, signInTo } from './helpers/backchannel-flow.js';
import { formField, TestBrowser } from './helpers/browser.js';
import { DEMO_PASSWORD, submitLogin } from './helpers/oidc-flow.js';
import { sleep } from './helpers/logout-receiver.js';
import { DEMO_DATA, freePort, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const SIGNED_OUT = /Вы не вошли в этот сервис/;

function demoService(clientId: string, displayName: string): DemoService {
  const secret = DEMO_DATA.services.find((service) => service.client_id === clientId)?.client_secret;
  assert.ok(secret !== undefined);
  return { clientId, clientSecret: secret, displayName, displayNameEn: displayName, path: clientId };
}

let rp: DemoRelyingParty;
let propusk: RunningPropusk;

before(async () => {
  const port = await freePort();
  // The demo relying party builds its URIs from the issuer's host name, as `npm start` does.
  rp = await startDemoRelyingParty({
    issuer: `http://localhost:${port}`,
    port: 0,
    host: '127.0.0.1',
    services: [demoService('dnevnik', 'Дневник'), demoService('zhurnal', 'Журнал')],
    logger: pino({ level: 'silent' }),
  });
  propusk = await startPropusk({ port, rpBase: rp.url });
});

after(async () => {
  await rp.close();
  await propusk.stop();
});

/** Follow the relying party's login through Propusk and back; returns the service's home page. */
async function openService(browser: TestBrowser, path: string, login?: string): Promise<string> {
  const start = await browser.request(`${rp.url}/${path}/login`);
  let hop = await browser.follow(start.location as string);
  if (login !== undefined) {
    hop = await submitLogin(browser, hop, login, DEMO_PASSWORD);
  }
  assert.equal(hop.status, 303, `expected a redirect to the service, got ${hop.status}`);
  const callback = await browser.request(hop.location as string);
  assert.equal(callback.status, 303);
  return (await browser.request(`${rp.url}/${path}/`)).body;
}

test('logout in one demo service ends the others', async () => {
  const browser = new TestBrowser(propusk.issuer);
  const dnevnikPage = await openService(browser, 'dnevnik', '+79160000001');
  assert.doesNotMatch(dnevnikPage, SIGNED_OUT);
  assert.doesNotMatch(await openService(browser, 'zhurnal'), SIGNED_OUT);

  const logout = await browser.request(`${rp.url}/dnevnik/logout`, { form: { csrf: formField(dnevnikPage, 'csrf') } });
  const confirm = await browser.follow(logout.location as string);
  const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
  assert.ok(action !== undefined, 'no logout confirmation form');
  const done = await browser.follow(action, { form: { xsrf: formField(confirm.body, 'xsrf'), logout: 'yes' } });
  assert.equal(done.location, `${rp.url}/dnevnik/`);

  // Журнал learns of the logout only through the back channel: its own cookie is still sent.
  const deadline = Date.now() + 10_000;
  let zhurnalPage = (await browser.request(`${rp.url}/zhurnal/`)).body;
  while (!SIGNED_OUT.test(zhurnalPage)) {
    assert.ok(Date.now() < deadline, 'Журнал still shows the person as signed in');
    await sleep(100);
    zhurnalPage = (await browser.request(`${rp.url}/zhurnal/`)).body;
  }
});

test('demo endpoint rejects tokens that are not logout tokens', async () => {
  const endpoint = `${rp.url}/zhurnal/backchannel-logout`;
  const missing = await fetch(endpoint, { method: 'POST', body: new URLSearchParams({}) });
  assert.equal(missing.status, 400);
  const garbage = await fetch(endpoint, { method: 'POST', body: new URLSearchParams({ logout_token: 'a.b.c' }) });
  assert.equal(garbage.status, 400);

  // An ID token is signed by the same keys for the same audience, but its type and claims differ.
  const zhurnal = await serviceAt(propusk.issuer, rp.url, 'zhurnal');
  const { tokens } = await signInTo(propusk.issuer, [zhurnal], '+79160000001');
  const idToken = tokens.get('zhurnal')?.id_token as string;
  const response = await fetch(endpoint, { method: 'POST', body: new URLSearchParams({ logout_token: idToken }) });
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: 'the logout token is invalid' });
});
