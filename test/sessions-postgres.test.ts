import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blockPerson, unblockPerson } from '../src/sessions/person-status.js';
import { formField } from './helpers/browser.js';
import { createPostgresSchema } from './helpers/databases.js';
import { client, DEMO_PASSWORD, passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';
import { browserWithSessionCookie, isSignedIn, sessionCookie, sessionUidOf } from './helpers/session-cookies.js';

describe('session lifetimes, blocking and password change on PostgreSQL', await serviceGate(postgresAvailable), () => {
  let propusk: RunningPropusk;
  let schema: { url: string; drop(): Promise<void> };
  let dnevnik: RelyingParty;

  before(async () => {
    schema = await createPostgresSchema();
    propusk = await startPropusk({ databaseUrl: schema.url, env: { PROPUSK_SESSION_IDLE_TTL: '600' } });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
  });
  after(async () => {
    await propusk?.stop();
    await schema?.drop();
  });

  test('idle session is refused', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    assert.equal(await isSignedIn(browser), true);
    const uid = await sessionUidOf(propusk.runtime.store.db, browser);
    await propusk.runtime.store.db.updateTable('session_activity').set({ last_active_at: Date.now() - 601_000 }).where('session_uid', '=', uid).execute();
    assert.equal(await isSignedIn(browser), false);
  });

  test('blocking ends sessions and grants', async () => {
    const { browser, tokens } = await passwordLogin(propusk.issuer, dnevnik, 'anna.smirnova@example.ru');
    const deps = { store: propusk.runtime.store, audit: propusk.runtime.audit, events: propusk.runtime.sessionEvents, logger: propusk.runtime.logger };
    const result = await blockPerson(deps, 'student-2');
    assert.equal(result.sessionsEnded, 1);
    assert.ok(result.grantsRevoked >= 1);
    assert.equal(await isSignedIn(browser), false);
    await assert.rejects(client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string));
    await unblockPerson(deps, 'student-2');
  });

  test('password change keeps only this browser', async () => {
    const other = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    const here = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    const before = sessionCookie(here.browser);
    const form = await here.browser.request('/password');
    const changed = await here.browser.request('/password', {
      form: { csrf: formField(form.body, 'csrf'), current_password: DEMO_PASSWORD, new_password: 'тихий ветер над рекой', new_password_repeat: 'тихий ветер над рекой' },
    });
    assert.equal(changed.status, 303);
    assert.equal(await isSignedIn(here.browser), true);
    assert.equal(await isSignedIn(other.browser), false);
    assert.equal(await isSignedIn(browserWithSessionCookie(propusk.issuer, before)), false);
  });
});
