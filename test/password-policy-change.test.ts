import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SessionsEndedEvent } from '../src/sessions/events.js';
import { formField, TestBrowser, type Hop } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, client, demoPerson, DEMO_PASSWORD, passwordLogin, relyingParty, submitLogin, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { browserWithSessionCookie, isSignedIn, personIdOf, sessionCookie } from './helpers/session-cookies.js';

function oauthError(code: string) {
  return (error: unknown) => {
    assert.equal((error as { error?: string }).error, code);
    return true;
  };
}

describe('password change', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let biblioteka: RelyingParty;
  let zhurnal: RelyingParty;
  const events: SessionsEndedEvent[] = [];

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    biblioteka = await relyingParty(propusk.issuer, 'biblioteka');
    zhurnal = await relyingParty(propusk.issuer, 'zhurnal');
    propusk.runtime.sessionEvents.onSessionsEnded((event) => {
      events.push(event);
    });
  });
  after(async () => propusk.stop());

  async function openForm(browser: TestBrowser): Promise<Hop> {
    const page = await browser.request('/password');
    assert.equal(page.status, 200);
    return page;
  }

  async function submit(browser: TestBrowser, fields: { current: string; next: string; repeat?: string }): Promise<Hop> {
    const form = await openForm(browser);
    return browser.request('/password', {
      form: { csrf: formField(form.body, 'csrf'), current_password: fields.current, new_password: fields.next, new_password_repeat: fields.repeat ?? fields.next },
    });
  }

  test('form is linked and fillable', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    const home = await browser.request('/');
    assert.match(home.body, /<a class="button-link" href="\/password">Сменить пароль<\/a>/);

    const form = await openForm(browser);
    assert.match(form.body, /<h1>Смена пароля<\/h1>/);
    assert.match(form.body, /name="current_password" type="password" autocomplete="current-password"/);
    assert.match(form.body, /name="new_password" type="password" autocomplete="new-password"/);
    assert.match(form.body, /name="new_password_repeat" type="password" autocomplete="new-password"/);
    assert.match(form.body, /name="csrf" value="[^"]+"/);
    assert.doesNotMatch(form.body, /onpaste|oncopy|autocomplete="off"/, 'pasting and password managers are allowed');
    assert.equal(form.headers.get('cache-control'), 'no-store');
  });

  test('form without session redirects to login', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const page = await browser.request('/password');
    assert.equal(page.status, 303);
    assert.equal(page.location, '/login');
  });

  test('a post without the CSRF token is refused', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    const refused = await browser.request('/password', { form: { current_password: DEMO_PASSWORD, new_password: 'x', new_password_repeat: 'x' } });
    assert.equal(refused.status, 403);
  });

  test('a wrong current password is refused and nothing else is said', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    const refused = await submit(browser, { current: 'not-the-password', next: 'password123' });
    assert.equal(refused.status, 401);
    assert.match(refused.body, /Текущий пароль введён неверно/);
    assert.doesNotMatch(refused.body, /распространён/, 'the policy is not consulted for someone who does not know the password');
    assert.doesNotMatch(refused.body, /not-the-password|password123/, 'typed passwords are never sent back');
  });

  test('guessing the current password is throttled', async () => {
    const staff = demoPerson((p) => p.email === 'kuznetsova@example.ru');
    const { browser } = await passwordLogin(propusk.issuer, zhurnal, staff.phone as string);
    const statuses: number[] = [];
    let last: Hop | undefined;
    for (let attempt = 0; attempt < 8; attempt += 1) {
      last = await submit(browser, { current: `wrong-${attempt}`, next: 'a long enough new passphrase' });
      statuses.push(last.status);
    }
    assert.ok(statuses.slice(0, 5).every((status) => status === 401), `statuses ${statuses.join(',')}`);
    assert.equal(last?.status, 429);
    assert.match(last?.headers.get('retry-after') ?? '', /^\d+$/);
    assert.match(last?.body ?? '', /Слишком много неверных попыток/);

    // While delayed, even the right current password is not checked.
    const right = await submit(browser, { current: DEMO_PASSWORD, next: 'a long enough new passphrase' });
    assert.equal(right.status, 429);

    const audited = await propusk.runtime.store.db
      .selectFrom('audit_events')
      .select(['type', 'details'])
      .where('details', 'like', '%password_change%')
      .execute();
    assert.ok(audited.some((row) => row.type === 'login.failed'), 'wrong current passwords are audited');
    assert.ok(audited.some((row) => row.type === 'login.throttled'), 'the delay is audited');
  });

  test('the repetition must match', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    const refused = await submit(browser, { current: DEMO_PASSWORD, next: 'река-окно-гитара-7', repeat: 'река-окно-гитара-8' });
    assert.equal(refused.status, 400);
    assert.match(refused.body, /Новый пароль и его повтор не совпадают/);
  });

  test('the new password must pass the policy', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    const common = await submit(browser, { current: DEMO_PASSWORD, next: 'qwerty123' });
    assert.equal(common.status, 400);
    assert.match(common.body, /Этот пароль слишком распространён/);
    const name = await submit(browser, { current: DEMO_PASSWORD, next: 'Petr2014!' });
    assert.match(name.body, /Пароль не должен совпадать с вашим именем/);
    const phone = await submit(browser, { current: DEMO_PASSWORD, next: '+7 916 000-00-02' });
    assert.match(phone.body, /номером телефона/);
    const same = await submit(browser, { current: DEMO_PASSWORD, next: DEMO_PASSWORD });
    assert.match(same.body, /Новый пароль совпадает с текущим/);
  });

  test('change ends other sessions and grants', async () => {
    const personId = await personIdOf(propusk.runtime.store.db, 'teacher-1');
    const other = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const here = await passwordLogin(propusk.issuer, biblioteka, 'ivanova@example.ru', { role: 'Учитель' });
    const before = sessionCookie(here.browser);
    const newPassword = 'тихий ветер над рекой';

    const changed = await submit(here.browser, { current: DEMO_PASSWORD, next: newPassword });
    assert.equal(changed.status, 303);
    assert.equal(changed.location, '/password/changed');
    const done = await here.browser.request('/password/changed');
    assert.match(done.body, /Пароль изменён/);

    assert.equal(await isSignedIn(here.browser), true, 'this browser stays signed in');
    assert.notEqual(sessionCookie(here.browser).value, before.value, 'with a new session id');
    assert.equal(await isSignedIn(browserWithSessionCookie(propusk.issuer, before)), false, 'the old session id is dead');
    assert.equal(await isSignedIn(other.browser), false, 'the other browser is signed out');

    for (const [rp, tokens] of [[dnevnik, other.tokens], [biblioteka, here.tokens]] as const) {
      await assert.rejects(client.refreshTokenGrant(rp.config, tokens.refresh_token as string), oauthError('invalid_grant'));
    }

    // This browser gets new tokens by single sign-on, without the password.
    const auth = await authorizationRequest(biblioteka);
    callbackUrl(await here.browser.follow(auth.url.toString()), biblioteka);

    const fresh = new TestBrowser(propusk.issuer);
    const loginPage = await fresh.follow((await authorizationRequest(dnevnik)).url.toString());
    assert.equal((await submitLogin(fresh, loginPage, '+79160000001', DEMO_PASSWORD)).status, 401, 'the old password no longer works');
    const page = await fresh.follow((await authorizationRequest(dnevnik)).url.toString());
    callbackUrl(await submitLogin(fresh, page, '+79160000001', newPassword), dnevnik);

    const audit = await propusk.runtime.store.db.selectFrom('audit_events').select(['type', 'details']).where('person_id', '=', personId).orderBy('seq').execute();
    const types = audit.map((row) => row.type);
    assert.ok(types.includes('password.changed'));
    const revoked = audit.find((row) => row.type === 'session.revoked');
    assert.ok(revoked !== undefined);
    assert.equal((JSON.parse(revoked.details) as { reason: string; sessions: number }).reason, 'password_changed');
    assert.equal((JSON.parse(revoked.details) as { sessions: number }).sessions, 1);

    const event = events.find((candidate) => candidate.personId === personId && candidate.reason === 'password_changed');
    assert.ok(event !== undefined, 'the sessions-ended listeners heard of it');
    assert.deepEqual(event.sessions.map((session) => session.clients.map((entry) => entry.clientId)), [['dnevnik']]);
  });
});
