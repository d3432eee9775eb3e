// Delivery of queued back-channel logouts: retries with backoff, giving up,
// surviving a restart, and the logouts of expired and revoked sessions.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { enqueueLogoutForEndedSessions, enqueueLogoutForSessions } from '../src/logout/index.js';
import { retryDelay } from '../src/logout/worker.js';
import { startHousekeeping } from '../src/server/housekeeping.js';
import { createSessionTerminator } from '../src/sessions/end-sessions.js';
import { logOut, serviceAt, signInTo, waitForQueue } from './helpers/backchannel-flow.js';
import { startLogoutReceiver, verifyLogoutToken, type LogoutReceiver } from './helpers/logout-receiver.js';
import { freePort, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/** One second, the smallest retry delay the setting allows, so the tests wait 1 s, then 2 s. */
const FAST_RETRIES = { PROPUSK_BACKCHANNEL_LOGOUT_RETRY_DELAY: '1' };

test('retry delay doubles up to one hour', () => {
  const noJitter = () => 0;
  assert.equal(retryDelay(1, 10_000, noJitter), 10_000);
  assert.equal(retryDelay(2, 10_000, noJitter), 20_000);
  assert.equal(retryDelay(5, 10_000, noJitter), 160_000);
  assert.equal(retryDelay(30, 10_000, noJitter), 3_600_000);
  assert.equal(retryDelay(1, 10_000, () => 1), 12_000);
});

describe('back-channel logout delivery', () => {
  let receiver: LogoutReceiver;
  let propusk: RunningPropusk | undefined;

  beforeEach(async () => {
    receiver = await startLogoutReceiver();
  });

  afterEach(async () => {
    await propusk?.stop();
    propusk = undefined;
    await receiver.close();
  });

  async function signInToDnevnik(running: RunningPropusk) {
    const dnevnik = await serviceAt(running.issuer, receiver.base, 'dnevnik');
    const { browser, tokens } = await signInTo(running.issuer, [dnevnik], '+79160000003');
    return { dnevnik, browser, idToken: tokens.get('dnevnik')?.id_token as string };
  }

  test('failing service is retried with backoff', async () => {
    const logLines: string[] = [];
    propusk = await startPropusk({ rpBase: receiver.base, env: FAST_RETRIES, logLines });
    receiver.respond = ({ index }) => (index < 2 ? 500 : 200);
    const { dnevnik, browser, idToken } = await signInToDnevnik(propusk);

    await logOut(browser, dnevnik, idToken);
    const attempts = await receiver.waitFor(3, { service: 'dnevnik' });
    assert.deepEqual(attempts.map((entry) => entry.status), [500, 500, 200]);
    const [first, second, third] = attempts.map((entry) => entry.at) as [number, number, number];
    assert.ok(second - first >= 1000, `second attempt after ${second - first} ms`);
    assert.ok(third - second >= 2000, `third attempt after ${third - second} ms`);
    // Each attempt carries a freshly signed token that verifies.
    assert.equal(new Set(attempts.map((entry) => entry.logoutToken)).size, 3);
    await verifyLogoutToken(propusk.issuer, attempts[2]?.logoutToken as string, 'dnevnik');

    const [row] = await waitForQueue(propusk.runtime.store.db, (rows) => rows[0]?.state === 'delivered');
    assert.equal(row?.attempts, 3);
    assert.equal(row?.last_error, null);

    const warnings = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'back-channel logout failed; will retry');
    assert.deepEqual(warnings.map((entry) => entry.attempt), [1, 2]);
    for (const warning of warnings) {
      assert.equal(warning.level, 40);
      assert.equal(warning.clientId, 'dnevnik');
      assert.equal(warning.error, 'expected HTTP 200, got 500');
    }
    for (const token of attempts.map((entry) => entry.logoutToken as string)) {
      assert.ok(!logLines.some((line) => line.includes(token)), 'a logout token was logged');
    }
  });

  test('delivery gives up after the last attempt', async () => {
    const logLines: string[] = [];
    propusk = await startPropusk({ rpBase: receiver.base, env: { ...FAST_RETRIES, PROPUSK_BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: '2' }, logLines });
    receiver.respond = () => 503;
    const { dnevnik, browser, idToken } = await signInToDnevnik(propusk);

    await logOut(browser, dnevnik, idToken);
    const [row] = await waitForQueue(propusk.runtime.store.db, (rows) => rows[0]?.state === 'failed');
    assert.equal(row?.attempts, 2);
    assert.equal(row?.last_error, 'expected HTTP 200, got 503');
    assert.equal(receiver.forService('dnevnik').length, 2);
    const final = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'back-channel logout failed on the last attempt; giving up');
    assert.equal(final?.clientId, 'dnevnik');
    assert.equal(final?.attempt, 2);
  });

  test('queued logout survives a restart', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-backchannel-'));
    const port = await freePort();
    try {
      const options = { rpBase: receiver.base, env: FAST_RETRIES, dataDir, port };
      propusk = await startPropusk(options);
      receiver.respond = () => 500;
      const { dnevnik, browser, idToken } = await signInToDnevnik(propusk);
      await logOut(browser, dnevnik, idToken);
      await waitForQueue(propusk.runtime.store.db, (rows) => rows[0]?.attempts === 1 && rows[0].last_error !== null);
      await propusk.stop();
      propusk = undefined;

      receiver.respond = () => 200;
      propusk = await startPropusk(options);
      const [row] = await waitForQueue(propusk.runtime.store.db, (rows) => rows[0]?.state === 'delivered');
      assert.equal(row?.attempts, 2);
      const delivered = receiver.forService('dnevnik').filter((entry) => entry.status === 200);
      assert.equal(delivered.length, 1);
      await verifyLogoutToken(propusk.issuer, delivered[0]?.logoutToken as string, 'dnevnik');
    } finally {
      await propusk?.stop();
      propusk = undefined;
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('expired session is logged out by housekeeping', async () => {
    propusk = await startPropusk({ rpBase: receiver.base });
    const services = await Promise.all(['dnevnik', 'zhurnal'].map((id) => serviceAt(propusk!.issuer, receiver.base, id)));
    const { tokens } = await signInTo(propusk.issuer, services, '+79160000001');
    const db = propusk.runtime.store.db;
    const expire = await db.updateTable('oidc_payloads').set({ expires_at: Date.now() - 1000 }).where('model', '=', 'Session').executeTakeFirst();
    assert.equal(expire.numUpdatedRows, 1n);

    const housekeeping = startHousekeeping(propusk.runtime.store, pino({ level: 'silent' }), 30, 100);
    try {
      const received = await receiver.waitFor(2);
      assert.deepEqual(received.map((entry) => entry.service).sort(), ['dnevnik', 'zhurnal']);
      for (const entry of received) {
        const { payload } = await verifyLogoutToken(propusk.issuer, entry.logoutToken as string, entry.service);
        assert.equal(payload.sid, tokens.get(entry.service)?.claims()?.sid);
      }
    } finally {
      housekeeping.stop();
    }
    const rows = await waitForQueue(db, (all) => all.length === 2 && all.every((row) => row.state === 'delivered'));
    assert.ok(rows.every((row) => row.reason === 'expired'));
    const sessions = await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Session').execute();
    assert.equal(sessions.length, 0);
  });

  test('blocking a person logs out services', async () => {
    propusk = await startPropusk({ rpBase: receiver.base });
    const { runtime } = propusk;
    const services = await Promise.all(['dnevnik', 'zhurnal'].map((id) => serviceAt(propusk!.issuer, receiver.base, id)));
    const { tokens } = await signInTo(propusk.issuer, services, '+79160000001');
    const sub = tokens.get('dnevnik')?.claims()?.sub as string;

    const terminator = createSessionTerminator({ store: runtime.store, audit: runtime.audit, events: runtime.sessionEvents, logger: runtime.logger });
    const result = await terminator.endPersonSessions(sub, 'person_blocked');
    assert.equal(result.sessionsEnded, 1);

    const received = await receiver.waitFor(2);
    assert.deepEqual(received.map((entry) => entry.service).sort(), ['dnevnik', 'zhurnal']);
    for (const entry of received) {
      const { payload } = await verifyLogoutToken(propusk.issuer, entry.logoutToken as string, entry.service);
      assert.equal(payload.sub, sub);
      assert.equal(payload.sid, tokens.get(entry.service)?.claims()?.sid);
    }
    const rows = await waitForQueue(runtime.store.db, (all) => all.length === 2 && all.every((row) => row.state === 'delivered'));
    assert.ok(rows.every((row) => row.reason === 'revoked'));
  });

  test('revoked sessions are logged out', async () => {
    propusk = await startPropusk({ rpBase: receiver.base });
    const db = propusk.runtime.store.db;
    const services = await Promise.all(['dnevnik', 'zhurnal'].map((id) => serviceAt(propusk!.issuer, receiver.base, id)));
    const { tokens } = await signInTo(propusk.issuer, services, '+79160000001');
    const sessions = await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Session').execute();

    // As a revocation would: queue in the transaction that deletes the session.
    const queued = await db.transaction().execute(async (trx) => {
      const count = await enqueueLogoutForSessions(trx, sessions.map((session) => session.id), 'revoked');
      await trx.deleteFrom('oidc_payloads').where('model', '=', 'Session').execute();
      return count;
    });
    assert.equal(queued, 2);
    await receiver.waitFor(2);

    // The sessions-ended hook of src/sessions reports the same session again: nothing new is queued.
    const zhurnalSid = tokens.get('zhurnal')?.claims()?.sid as string;
    const sub = tokens.get('zhurnal')?.claims()?.sub as string;
    const again = await enqueueLogoutForEndedSessions(db, {
      personId: sub,
      reason: 'password_changed',
      sessions: [{ clients: [{ clientId: 'zhurnal', sid: zhurnalSid }, { clientId: 'propusk-account', sid: 'x' }] }],
    });
    assert.equal(again, 0);
    const rows = await waitForQueue(db, (all) => all.every((row) => row.state === 'delivered'));
    assert.deepEqual(rows.map((row) => [row.client_id, row.reason]).sort(), [['dnevnik', 'revoked'], ['zhurnal', 'revoked']]);
  });
});
