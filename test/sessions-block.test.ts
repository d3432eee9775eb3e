import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { blockPerson, unblockPerson } from '../src/sessions/person-status.js';
import type { SessionsEndedEvent } from '../src/sessions/events.js';
import { formField, TestBrowser } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, client, DEMO_PASSWORD, passwordLogin, relyingParty, submitLogin, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { isSignedIn, personIdOf } from './helpers/session-cookies.js';

const run = promisify(execFile);

function oauthError(code: string) {
  return (error: unknown) => {
    assert.equal((error as { error?: string }).error, code);
    return true;
  };
}

describe('blocking a person and logging out end their sessions', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let biblioteka: RelyingParty;
  const events: SessionsEndedEvent[] = [];

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    biblioteka = await relyingParty(propusk.issuer, 'biblioteka');
    propusk.runtime.sessionEvents.onSessionsEnded((event) => {
      events.push(event);
    });
  });
  after(async () => propusk.stop());

  const deps = () => ({
    store: propusk.runtime.store,
    audit: propusk.runtime.audit,
    events: propusk.runtime.sessionEvents,
    logger: propusk.runtime.logger,
  });

  async function auditTypes(personId: string): Promise<string[]> {
    const rows = await propusk.runtime.store.db.selectFrom('audit_events').select('type').where('person_id', '=', personId).orderBy('seq').execute();
    return rows.map((row) => row.type);
  }

  async function promptNone(browser: TestBrowser, rp: RelyingParty): Promise<string | null> {
    const auth = await authorizationRequest(rp, { prompt: 'none' });
    return callbackUrl(await browser.follow(auth.url.toString()), rp).searchParams.get('error');
  }

  test('a blocked person is signed out everywhere and their tokens stop working', async () => {
    const personId = await personIdOf(propusk.runtime.store.db, 'staff-1');
    const first = await passwordLogin(propusk.issuer, biblioteka, '+79160000004');
    const second = await passwordLogin(propusk.issuer, biblioteka, 'kuznetsova@example.ru');

    const result = await blockPerson(deps(), 'staff-1');
    assert.equal(result.changed, true);
    assert.equal(result.sessionsEnded, 2);
    assert.ok(result.grantsRevoked >= 2);
    const leftovers = await propusk.runtime.store.db
      .selectFrom('oidc_payloads')
      .select(['model'])
      .where('model', 'in', ['Grant', 'RefreshToken', 'AccessToken'])
      .where('payload', 'like', `%"accountId":"${personId}"%`)
      .execute();
    assert.deepEqual(leftovers, [], 'no grant or token of the person is left');

    for (const { browser, tokens } of [first, second]) {
      assert.equal(await isSignedIn(browser), false);
      assert.equal(await promptNone(browser, biblioteka), 'login_required');
      const page = await browser.follow((await authorizationRequest(biblioteka)).url.toString());
      assert.match(page.body, /name="password"/, 'the authorization endpoint shows the login page');
      await assert.rejects(client.refreshTokenGrant(biblioteka.config, tokens.refresh_token as string), oauthError('invalid_grant'));
      await assert.rejects(client.fetchUserInfo(biblioteka.config, tokens.access_token, client.skipSubjectCheck));
    }

    const login = new TestBrowser(propusk.issuer);
    const page = await login.follow((await authorizationRequest(biblioteka)).url.toString());
    const refused = await submitLogin(login, page, '+79160000004', DEMO_PASSWORD);
    assert.equal(refused.status, 401, 'a blocked person cannot sign in');

    assert.deepEqual(await auditTypes(personId).then((types) => types.filter((type) => type.startsWith('person.') || type === 'session.revoked')), [
      'person.blocked',
      'session.revoked',
    ]);
    const event = events.find((candidate) => candidate.personId === personId && candidate.reason === 'person_blocked');
    assert.ok(event !== undefined, 'the sessions-ended listeners heard of it');
    assert.equal(event.sessions.length, 2);
    for (const session of event.sessions) {
      const service = session.clients.find((entry) => entry.clientId === 'biblioteka');
      assert.ok(typeof service?.sid === 'string', 'each ended session names the service and its sid');
    }

    const unblocked = await unblockPerson(deps(), 'staff-1');
    assert.equal(unblocked.changed, true);
    const again = await passwordLogin(propusk.issuer, biblioteka, '+79160000004');
    assert.equal(await isSignedIn(again.browser), true);
    assert.ok((await auditTypes(personId)).includes('person.unblocked'));
  });

  test('a person blocked by other means is refused even with a live session', async () => {
    const { browser, tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const personId = await personIdOf(propusk.runtime.store.db, 'parent-1');
    await propusk.runtime.store.db.updateTable('people').set({ status: 'blocked' }).where('id', '=', personId).execute();
    try {
      assert.equal(await promptNone(browser, dnevnik), 'login_required');
      assert.equal(await isSignedIn(browser), false);
      await assert.rejects(client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string), oauthError('invalid_grant'));
    } finally {
      await propusk.runtime.store.db.updateTable('people').set({ status: 'active' }).where('id', '=', personId).execute();
    }
  });

  test('propusk people block and unblock from the command line', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, 'anna.smirnova@example.ru');
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      PROPUSK_DATA_DIR: propusk.dataDir,
      PROPUSK_DEMO: 'false',
      PORT: new URL(propusk.issuer).port,
      LOG_LEVEL: 'silent',
    };
    const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env, timeout: 60_000 });

    const blocked = await cli(['people', 'block', 'student-2']);
    assert.match(blocked.stdout, /^Blocked student-2: 1 sessions ended, \d+ grants revoked\.$/m);
    assert.equal(await isSignedIn(browser), false);

    const unblocked = await cli(['people', 'unblock', 'student-2']);
    assert.match(unblocked.stdout, /^Unblocked student-2: the person can sign in\.$/m);

    await assert.rejects(cli(['people', 'block', 'no-such-person']), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? '', /No person with external id "no-such-person"/);
      return true;
    });
  });

  test('logout ends the session and its refresh tokens', async () => {
    const { tokens, browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    const endSession = client.buildEndSessionUrl(dnevnik.config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: dnevnik.postLogoutRedirectUri,
    });
    const confirm = await browser.follow(endSession.toString());
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
    assert.ok(action !== undefined, 'the logout page has the provider’s form');
    await browser.follow(action, { form: { xsrf: formField(confirm.body, 'xsrf'), logout: 'yes' } });

    assert.equal(await isSignedIn(browser), false);
    await assert.rejects(client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string), oauthError('invalid_grant'));
  });
});
