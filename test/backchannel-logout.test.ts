// Back-channel logout end to end: a real Propusk, services signed in through
// one SSO session, RP-initiated logout, and a loopback receiver that checks
// each logout token against Propusk's JWKS.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { logOut, queueRows, serviceAt, signInTo, waitForQueue } from './helpers/backchannel-flow.js';
import { formField } from './helpers/browser.js';
import { startLogoutReceiver, sleep, verifyLogoutToken, type LogoutReceiver } from './helpers/logout-receiver.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

describe('back-channel logout', () => {
  let receiver: LogoutReceiver;
  let propusk: RunningPropusk;

  before(async () => {
    receiver = await startLogoutReceiver();
    propusk = await startPropusk({ rpBase: receiver.base });
    // Библиотека stays registered without a back-channel logout URI.
    await propusk.runtime.store.db.updateTable('services').set({ backchannel_logout_uri: null }).where('client_id', '=', 'biblioteka').execute();
  });

  after(async () => {
    await propusk.stop();
    await receiver.close();
  });

  test('discovery advertises back-channel logout with sid', async () => {
    const discovery = (await (await fetch(`${propusk.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(discovery.backchannel_logout_supported, true);
    assert.equal(discovery.backchannel_logout_session_supported, true);
  });

  test('logout from one service reaches every registered service', async () => {
    const services = await Promise.all(['dnevnik', 'zhurnal', 'biblioteka'].map((id) => serviceAt(propusk.issuer, receiver.base, id)));
    const [dnevnik] = services;
    assert.ok(dnevnik !== undefined);
    const { browser, tokens } = await signInTo(propusk.issuer, services, '+79160000001');
    const idClaims = new Map([...tokens].map(([clientId, response]) => [clientId, response.claims()]));
    // A service with a back-channel URI gets the sid in its ID token, to match the logout token against.
    assert.equal(typeof idClaims.get('dnevnik')?.sid, 'string');
    assert.equal(typeof idClaims.get('zhurnal')?.sid, 'string');
    assert.equal(idClaims.get('biblioteka')?.sid, undefined);

    await logOut(browser, dnevnik, tokens.get('dnevnik')?.id_token as string);
    const received = await receiver.waitFor(2);
    assert.deepEqual(received.map((entry) => entry.service).sort(), ['dnevnik', 'zhurnal']);

    for (const entry of received) {
      assert.equal(entry.path, `/${entry.service}/backchannel-logout`);
      assert.equal(entry.contentType, 'application/x-www-form-urlencoded');
      assert.ok(entry.logoutToken !== undefined, 'no logout_token field');
      const { header, payload } = await verifyLogoutToken(propusk.issuer, entry.logoutToken, entry.service);
      const claims = idClaims.get(entry.service);
      assert.equal(header.typ, 'logout+jwt');
      assert.equal(payload.aud, entry.service);
      assert.equal(payload.iss, propusk.issuer);
      assert.equal(payload.sub, claims?.sub);
      assert.equal(payload.sid, claims?.sid);
      assert.deepEqual(payload.events, { [BACKCHANNEL_EVENT]: {} });
      assert.equal('nonce' in payload, false);
      assert.equal(typeof payload.jti, 'string');
      assert.equal(typeof payload.iat, 'number');
      assert.equal(typeof payload.exp, 'number');
      assert.ok((payload.exp as number) - (payload.iat as number) <= 120, `logout token lives ${String(payload.exp)} - ${String(payload.iat)} s`);
      // Only sub and sid identify the person: no profile or role claims.
      assert.deepEqual(Object.keys(payload).sort(), ['aud', 'events', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
    }

    // Библиотека registered no URI: no queue row, and nothing arrives later either.
    const rows = await waitForQueue(propusk.runtime.store.db, (all) => all.length > 0 && all.every((row) => row.state === 'delivered'));
    assert.deepEqual(rows.map((row) => row.client_id).sort(), ['dnevnik', 'zhurnal']);
    assert.ok(rows.every((row) => row.reason === 'logout' && row.attempts === 1));
    await sleep(500);
    assert.equal(receiver.forService('biblioteka').length, 0);
    assert.equal(receiver.received.length, 2);
  });

  test('a second logout of the same session sends nothing more', async () => {
    const before = (await queueRows(propusk.runtime.store.db)).length;
    const requestsBefore = receiver.received.length;
    const [dnevnik] = await Promise.all([serviceAt(propusk.issuer, receiver.base, 'dnevnik')]);
    assert.ok(dnevnik !== undefined);
    const { browser, tokens } = await signInTo(propusk.issuer, [dnevnik], '+79160000003');
    await logOut(browser, dnevnik, tokens.get('dnevnik')?.id_token as string);
    await receiver.waitFor(requestsBefore + 1);

    // The browser's session is gone, so a repeated logout has no session and no service to notify.
    const again = await browser.follow(`${propusk.issuer}/oidc/session/end`);
    assert.equal(again.status, 200);
    const action = /<form[^>]*action="([^"]+)"/.exec(again.body)?.[1];
    assert.ok(action !== undefined, 'no logout form');
    const done = await browser.follow(action, { form: { xsrf: formField(again.body, 'xsrf'), logout: 'yes' } });
    assert.equal(done.status, 200, 'the provider shows its logged-out page');
    await sleep(500);
    assert.equal((await queueRows(propusk.runtime.store.db)).length, before + 1);
    assert.equal(receiver.received.length, requestsBefore + 1);
  });
});
