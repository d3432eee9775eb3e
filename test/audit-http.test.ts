import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyChain } from '../src/audit/verify.js';
import type { AuditEventsTable } from '../src/storage/schema.js';
import { formAction, formField, TestBrowser, type Hop } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, chooseRole, client, DEMO_PASSWORD, passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** Submit the login form with a chosen User-Agent, then follow the redirects like a browser. */
async function loginWithAgent(browser: TestBrowser, page: Hop, login: string, password: string, userAgent: string): Promise<{ post: Hop; last: Hop }> {
  const post = await browser.request(formAction(page.body), {
    form: { csrf: formField(page.body, 'csrf'), login, password },
    headers: { 'user-agent': userAgent },
  });
  const last = post.location === undefined ? post : await browser.follow(new URL(post.location, post.url).toString());
  return { post, last };
}

describe('audit events over HTTP', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let biblioteka: RelyingParty;

  const personId = async (externalId: string): Promise<string> =>
    (await propusk.runtime.store.db.selectFrom('people').select('id').where('external_id', '=', externalId).executeTakeFirstOrThrow()).id;

  /** The newest record of a type, waiting briefly for records written after the response (provider events). */
  const newest = async (type: string, after = 0): Promise<AuditEventsTable> => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const row = await propusk.runtime.store.db.selectFrom('audit_events').selectAll().where('type', '=', type).where('seq', '>', after).orderBy('seq', 'desc').executeTakeFirst();
      if (row !== undefined) return row;
      assert.ok(Date.now() < deadline, `no ${type} record after ${after}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const lastSeq = async (): Promise<number> =>
    (await propusk.runtime.store.db.selectFrom('audit_chain').select('last_seq').executeTakeFirstOrThrow()).last_seq;

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    biblioteka = await relyingParty(propusk.issuer, 'biblioteka');
  });
  after(async () => propusk.stop());

  test('login success lands in the log with IP, agent and request id', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const page = await browser.follow((await authorizationRequest(dnevnik)).url.toString());
    const { post } = await loginWithAgent(browser, page, '+7 916 000-00-01', DEMO_PASSWORD, CHROME_LINUX);
    assert.equal(post.status, 303);

    const row = await newest('login.succeeded');
    assert.equal(row.person_id, await personId('teacher-1'));
    assert.equal(row.client_id, 'dnevnik');
    assert.equal(row.ip, '127.0.0.1');
    assert.equal(row.user_agent, CHROME_LINUX);
    assert.equal(row.request_id, post.headers.get('x-request-id'));
    assert.deepEqual(JSON.parse(row.details), { identifierKind: 'phone', sharedDevice: false });
  });

  test('login failure keeps the identifier kinds, never the secret', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const page = await browser.follow((await authorizationRequest(dnevnik)).url.toString());
    const before = await lastSeq();
    const wrong = await loginWithAgent(browser, page, '8 916 000-00-01', 'Wrong-Secret-42', FIREFOX_WINDOWS);
    assert.equal(wrong.post.status, 401);

    const row = await newest('login.failed', before);
    assert.equal(row.person_id, null);
    assert.equal(row.client_id, 'dnevnik');
    assert.equal(row.ip, '127.0.0.1');
    assert.equal(row.user_agent, FIREFOX_WINDOWS);
    assert.equal(row.request_id, wrong.post.headers.get('x-request-id'));
    assert.deepEqual(JSON.parse(row.details), { reason: 'invalid_credentials', identifierKinds: 'phone' });
    // Hashes, ids and the time are random or changing digits that can contain any short run, so they are left out of the search.
    const { prev_hash: _previous, hash: _hash, request_id: _request, occurred_at: _time, seq: _seq, ...stored } = row;
    const text = JSON.stringify(stored);
    assert.doesNotMatch(text, /Wrong-Secret-42/);
    assert.doesNotMatch(text, /916/);

    const retry = await browser.follow((await authorizationRequest(dnevnik)).url.toString());
    await loginWithAgent(browser, retry, 'not-an-identifier', 'whatever', FIREFOX_WINDOWS);
    const unrecognized = await newest('login.failed', row.seq);
    assert.deepEqual(JSON.parse(unrecognized.details), { reason: 'unrecognized_identifier', identifierKinds: 'none' });
    assert.doesNotMatch(JSON.stringify(unrecognized), /not-an-identifier/);
  });

  test('role switch in a service and logout are recorded', async () => {
    const { tokens, browser } = await passwordLogin(propusk.issuer, biblioteka, 'ivanova@example.ru', { role: 'Учитель' });
    const before = await lastSeq();
    const auth = await authorizationRequest(biblioteka, { prompt: 'select_account' });
    const chooser = await browser.follow(auth.url.toString());
    callbackUrl(await chooseRole(browser, chooser, 'Родитель'), biblioteka);

    const switched = await newest('role.switched', before);
    assert.equal(switched.person_id, await personId('teacher-1'));
    assert.equal(switched.client_id, 'biblioteka');
    assert.deepEqual(JSON.parse(switched.details), { roleKind: 'parent', previousRoleKind: 'teacher' });

    const endSession = client.buildEndSessionUrl(biblioteka.config, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: biblioteka.postLogoutRedirectUri });
    const confirm = await browser.follow(endSession.toString());
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
    assert.ok(action !== undefined);
    const done = await browser.follow(action, { form: { xsrf: formField(confirm.body, 'xsrf'), logout: 'yes' } });
    assert.equal(done.status, 303);
    const logout = await newest('logout', switched.seq);
    assert.equal(logout.person_id, await personId('teacher-1'));
    assert.equal(logout.client_id, 'biblioteka');
    assert.equal(logout.ip, '127.0.0.1');
    assert.match(logout.request_id ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(logout.details), { scope: 'session' });
  });

  test('home page lists the person’s own recent events', async () => {
    // Someone else's sign-in must not appear on Иванова's page.
    await passwordLogin(propusk.issuer, dnevnik, 'smirnov@example.ru');

    const browser = new TestBrowser(propusk.issuer);
    const loginPage = await browser.follow('/login');
    const { last: chooser } = await loginWithAgent(browser, loginPage, 'ivanova@example.ru', DEMO_PASSWORD, CHROME_LINUX);
    const home = await chooseRole(browser, chooser, 'Учитель');
    const parentRole = /<option value="([^"]+)">Родитель/.exec(home.body)?.[1];
    assert.ok(parentRole !== undefined);
    const before = await lastSeq();
    const switched = await browser.follow('/role', { form: { csrf: formField(home.body, 'csrf'), role: parentRole } });

    const row = await newest('role.switched', before);
    assert.equal(row.client_id, null);
    assert.deepEqual(JSON.parse(row.details), { roleKind: 'parent', previousRoleKind: 'teacher' });

    assert.match(switched.body, /Недавние действия с учётной записью/);
    assert.match(switched.body, /<strong>Смена роли: родитель<\/strong>/);
    assert.match(switched.body, /<strong>Вход<\/strong><br><span class="hint">Chrome, Linux, IP-адрес 127\.0\.0\.1<\/span>/);
    assert.match(switched.body, /<time datetime="\d{4}-\d{2}-\d{2}T[\d:.]+Z">\d{1,2} [а-я]+ \d{4} г\.(,| в) \d{2}:\d{2} МСК<\/time>/, 'Moscow time, in words, in any ICU version');
    const items = [...switched.body.matchAll(/<li><time /g)].length;
    const own = await propusk.runtime.store.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('person_id', '=', await personId('teacher-1'))
      .where('type', 'in', ['login.succeeded', 'role.switched'])
      .executeTakeFirstOrThrow();
    assert.equal(items, Math.min(10, Number(own.count)));
    assert.doesNotMatch(switched.body, /Firefox/);
  });

  test('home page shows at most the last 10 events', async () => {
    const id = await personId('teacher-1');
    for (let index = 0; index < 12; index += 1) {
      await propusk.runtime.audit.record({ type: 'login.succeeded', personId: id, context: { ip: `192.0.2.${index}`, userAgent: FIREFOX_WINDOWS } });
    }
    const browser = new TestBrowser(propusk.issuer);
    const loginPage = await browser.follow('/login');
    const { last: chooser } = await loginWithAgent(browser, loginPage, 'ivanova@example.ru', DEMO_PASSWORD, CHROME_LINUX);
    const home = await chooseRole(browser, chooser, 'Учитель');
    assert.equal([...home.body.matchAll(/<li><time /g)].length, 10);
    assert.match(home.body, /Chrome, Linux, IP-адрес 127\.0\.0\.1/, 'the newest, this login, comes first');
    assert.match(home.body, /Firefox, Windows, IP-адрес 192\.0\.2\.11/);
    assert.doesNotMatch(home.body, /192\.0\.2\.2</, 'the oldest ones are cut');
  });

  test('the chain verifies after all of the above', async () => {
    const result = await verifyChain(propusk.runtime.store);
    assert.equal(result.ok, true, JSON.stringify(result));
  });
});
