import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formAction, formField, TestBrowser, type Hop } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, client, DEMO_PASSWORD, passwordLogin, redeem, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/*
 * One hash thread and a maximum wait of 1 ms: while one password check runs,
 * the pool rejects every further one, so parallel password POSTs saturate it.
 */
const SATURATED_POOL = {
  PROPUSK_HASH_THREADS: '1',
  PROPUSK_HASH_MAX_WAIT_MS: '1',
  // The flood's failed logins must not trigger the address's failed-attempt delays.
  PROPUSK_THROTTLE_IP_FREE_FAILURES: '10000',
  PROPUSK_THROTTLE_NETWORK_FREE_FAILURES: '10000',
};

const FLOOD_PASSWORD = 'flood-password-never-shown';
const OVERLOAD_TEXT = /Слишком много входов, попробуйте через \d+ секунд/;
const PASSWORD_CHANGE_OVERLOAD_TEXT = /Сейчас слишком много проверок паролей, попробуйте через \d+ секунд/;

/** Parallel login POSTs with unknown e-mails until stopped. Each gets one password check (401) or a 503. */
class LoginFlood {
  readonly answers: Array<{ login: string; hop: Hop }> = [];
  private stopped = false;
  private readonly runners: Array<Promise<void>> = [];

  constructor(
    private readonly browser: TestBrowser,
    private readonly loginPage: Hop,
  ) {}

  start(parallel: number): void {
    for (let runner = 0; runner < parallel; runner += 1) {
      this.runners.push(this.run(runner));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.runners);
  }

  count(status: number): number {
    return this.answers.filter((answer) => answer.hop.status === status).length;
  }

  /** Resolve once the flood has seen a 503, that is, once the pool rejects checks. */
  async saturated(): Promise<void> {
    for (let attempt = 0; attempt < 400 && this.count(503) === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(this.count(503) > 0, `no 503 among ${this.answers.length} parallel login POSTs`);
  }

  private async run(runner: number): Promise<void> {
    // A cap keeps a runaway flood bounded if stop() is never reached.
    for (let index = 0; !this.stopped && index < 500; index += 1) {
      const login = `flood-${runner}-${index}@example.org`;
      const form = { csrf: formField(this.loginPage.body, 'csrf'), login, password: FLOOD_PASSWORD };
      const hop = await this.browser.request(formAction(this.loginPage.body), { form });
      this.answers.push({ login, hop });
    }
  }
}

describe('overload of the password hash pool', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let zhurnal: RelyingParty;

  before(async () => {
    propusk = await startPropusk({ env: SATURATED_POOL });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    zhurnal = await relyingParty(propusk.issuer, 'zhurnal');
  });
  after(async () => propusk.stop());

  test('saturated pool: 503 for passwords, SSO and refresh work', async () => {
    // Signed in before the flood: a session for the SSO hop and a refresh token.
    const { browser: signedIn, tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    assert.ok(tokens.refresh_token !== undefined);

    const floodBrowser = new TestBrowser(propusk.issuer);
    const loginPage = await floodBrowser.follow((await authorizationRequest(zhurnal)).url.toString());
    assert.equal(loginPage.status, 200);
    const flood = new LoginFlood(floodBrowser, loginPage);
    const ssoHopAndRefresh = async () => {
      const auth = await authorizationRequest(zhurnal, { prompt: 'none' });
      const hopTokens = await redeem(zhurnal, callbackUrl(await signedIn.follow(auth.url.toString()), zhurnal), auth);
      const refreshed = await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
      return { hopTokens, refreshed };
    };
    flood.start(6);
    let results: Awaited<ReturnType<typeof ssoHopAndRefresh>>;
    try {
      await flood.saturated();
      const rejectedBefore = propusk.runtime.hashPool.stats().rejectedTotal;
      results = await ssoHopAndRefresh();
      assert.ok(propusk.runtime.hashPool.stats().rejectedTotal > rejectedBefore, 'the pool kept rejecting during the hop and the refresh');
    } finally {
      await flood.stop();
    }
    const { hopTokens, refreshed } = results;

    assert.equal((hopTokens.claims()?.role as { kind: string }).kind, 'teacher');
    assert.ok(refreshed.access_token.length > 0);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'the refresh token rotated');
    const stats = propusk.runtime.hashPool.stats();
    assert.ok(stats.rejectedTotal >= flood.count(503), `pool rejected ${stats.rejectedTotal}, flood saw ${flood.count(503)} 503s`);
    assert.equal(flood.count(401) + flood.count(503), flood.answers.length, 'every POST got 401 or 503');
  });

  test('503 page: Retry-After, Russian text, form kept', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const loginPage = await browser.follow((await authorizationRequest(zhurnal)).url.toString());
    const flood = new LoginFlood(browser, loginPage);
    flood.start(6);
    try {
      await flood.saturated();
    } finally {
      await flood.stop();
    }

    const rejected = flood.answers.find((answer) => answer.hop.status === 503);
    assert.ok(rejected !== undefined);
    const retryAfter = Number(rejected.hop.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter), `Retry-After: ${rejected.hop.headers.get('retry-after')}`);
    assert.ok(retryAfter >= 1, `Retry-After: ${retryAfter}`);
    assert.match(rejected.hop.body, OVERLOAD_TEXT);
    assert.match(rejected.hop.body, new RegExp(`name="login" type="text" value="${rejected.login.replace(/[.]/g, '\\.')}"`));
    assert.ok(!rejected.hop.body.includes(FLOOD_PASSWORD), 'the password is not sent back');
    assert.ok(formField(rejected.hop.body, 'csrf').length > 0, 'the form can be submitted again');
  });

  test('503 counts no failure and writes no audit record', async () => {
    const db = propusk.runtime.store.db;
    await db.deleteFrom('throttle_counters').execute();
    const failedBefore = await countFailedLogins();
    const browser = new TestBrowser(propusk.issuer);
    const loginPage = await browser.follow((await authorizationRequest(zhurnal)).url.toString());
    const flood = new LoginFlood(browser, loginPage);
    flood.start(6);
    try {
      await flood.saturated();
    } finally {
      await flood.stop();
    }

    // Each checked attempt adds one failure to the address's counter; a rejected one adds none.
    const counters = await db.selectFrom('throttle_counters').select('failures').execute();
    const addressFailures = Math.max(...counters.map((counter) => counter.failures));
    assert.equal(addressFailures, flood.count(401), `${flood.count(401)} checked and ${flood.count(503)} rejected attempts`);
    assert.equal((await countFailedLogins()) - failedBefore, flood.count(401));
  });

  test('password change returns 503 when saturated', async () => {
    const { browser: signedIn } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const floodBrowser = new TestBrowser(propusk.issuer);
    const flood = new LoginFlood(floodBrowser, await floodBrowser.follow((await authorizationRequest(zhurnal)).url.toString()));
    const changeForm = await signedIn.follow('/password');
    assert.equal(changeForm.status, 200);

    // A common new password fails the policy after the current one verified, so no attempt changes it.
    const form = { csrf: formField(changeForm.body, 'csrf'), current_password: DEMO_PASSWORD, new_password: '12345678', new_password_repeat: '12345678' };
    const answers: Hop[] = [];
    flood.start(6);
    try {
      await flood.saturated();
      for (let attempt = 0; attempt < 50 && !answers.some((hop) => hop.status === 503); attempt += 1) {
        answers.push(await signedIn.request('/password', { form }));
      }
    } finally {
      await flood.stop();
    }

    const rejected = answers.find((hop) => hop.status === 503);
    assert.ok(rejected !== undefined, `statuses: ${answers.map((hop) => hop.status).join(', ')}`);
    assert.ok(Number(rejected.headers.get('retry-after')) >= 1);
    assert.match(rejected.body, PASSWORD_CHANGE_OVERLOAD_TEXT);
    assert.ok(!rejected.body.includes(DEMO_PASSWORD), 'the password is not sent back');
    assert.ok(answers.every((hop) => hop.status === 503 || hop.status === 400), `statuses: ${answers.map((hop) => hop.status).join(', ')}`);
  });

  async function countFailedLogins(): Promise<number> {
    const row = await propusk.runtime.store.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('type', '=', 'login.failed')
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
});
