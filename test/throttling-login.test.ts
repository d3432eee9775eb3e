// Failed-password delays at the login form, over HTTP against a real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { errorText, openLoginForm, postLogin } from './helpers/login-form.js';
import { DEMO_PASSWORD } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const FREE = 2;
const FIRST_DELAY_SECONDS = 60;
const INVALID = 'Неверный логин или пароль';

async function throttledEvents(propusk: RunningPropusk): Promise<Array<{ details: string; ip: string | null }>> {
  const result = await sql<{ details: string; ip: string | null }>`select details, ip from audit_events where type = 'login.throttled'`.execute(propusk.runtime.store.db);
  return result.rows;
}

describe('login form throttling per account', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk({
      env: {
        PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: String(FREE),
        PROPUSK_THROTTLE_FIRST_DELAY: String(FIRST_DELAY_SECONDS),
        // Every attempt of this suite comes from 127.0.0.1; only the per-account limit may apply.
        PROPUSK_THROTTLE_IP_FREE_FAILURES: '100000',
        PROPUSK_THROTTLE_NETWORK_FREE_FAILURES: '100000',
      },
    });
  });
  after(async () => {
    await propusk?.stop();
  });

  test('a correct password while delayed gets 429 with Retry-After', async () => {
    const form = await openLoginForm(propusk.issuer);
    for (let i = 1; i <= FREE + 1; i += 1) {
      const hop = await postLogin(form, '+7 916 000-00-01', 'wrong password');
      assert.equal(hop.status, 401, `failure ${i} is checked`);
    }

    const rejected = await postLogin(form, '+7 916 000-00-01', DEMO_PASSWORD);
    assert.equal(rejected.status, 429);
    const retryAfter = Number(rejected.headers.get('retry-after'));
    assert.ok(retryAfter > FIRST_DELAY_SECONDS - 5, `Retry-After ${retryAfter}`);
    assert.ok(retryAfter <= FIRST_DELAY_SECONDS, `Retry-After ${retryAfter}`);
    assert.equal(rejected.location, undefined, 'no redirect back to the service');
    // The password was not checked, so the page must not call it wrong.
    assert.doesNotMatch(errorText(rejected.body), new RegExp(INVALID));
    assert.match(errorText(rejected.body), /вход ненадолго приостановлен\. Попробуйте снова через 1 минуту\./);
  });

  test('every spelling and reading of the identifier shares the delay', async () => {
    const form = await openLoginForm(propusk.issuer);
    for (let i = 0; i <= FREE; i += 1) {
      assert.equal((await postLogin(form, '+7 (916) 000-00-03', 'wrong password')).status, 401);
    }
    for (const spelling of ['89160000003', '9160000003', '+7 916 000 00 03']) {
      assert.equal((await postLogin(form, spelling, DEMO_PASSWORD)).status, 429, spelling);
    }
  });

  test('an unknown identifier is delayed the same way', async () => {
    const known = await openLoginForm(propusk.issuer);
    const unknown = await openLoginForm(propusk.issuer);
    for (let i = 0; i <= FREE; i += 1) {
      await postLogin(known, 'kuznetsova@example.ru', 'wrong password');
      await postLogin(unknown, 'nobody-here@example.ru', 'wrong password');
    }
    const knownHop = await postLogin(known, 'kuznetsova@example.ru', 'wrong password');
    const unknownHop = await postLogin(unknown, 'nobody-here@example.ru', 'wrong password');
    assert.equal(knownHop.status, 429);
    assert.equal(unknownHop.status, 429);
    assert.equal(knownHop.headers.get('retry-after'), unknownHop.headers.get('retry-after'));
    assert.equal(errorText(knownHop.body), errorText(unknownHop.body));
  });

  test('a success resets the account count', async () => {
    const first = await openLoginForm(propusk.issuer);
    for (let i = 0; i < FREE; i += 1) {
      assert.equal((await postLogin(first, 'anna.smirnova@example.ru', 'wrong password')).status, 401);
    }
    // This attempt is failure number FREE + 1 until it succeeds, so without the reset a delay would follow.
    assert.equal((await postLogin(first, 'anna.smirnova@example.ru', DEMO_PASSWORD)).status, 303);

    const second = await openLoginForm(propusk.issuer);
    for (let i = 1; i <= FREE + 1; i += 1) {
      assert.equal((await postLogin(second, 'anna.smirnova@example.ru', 'wrong password')).status, 401, `failure ${i} after the success`);
    }
  });

  test('200 parallel wrong passwords: only the free ones and one more are checked', async () => {
    const form = await openLoginForm(propusk.issuer);
    const hops = await Promise.all(Array.from({ length: 200 }, () => postLogin(form, '+7 916 000-00-02', 'wrong password')));
    const statuses = hops.map((hop) => hop.status);
    assert.equal(statuses.filter((status) => status === 401).length, FREE + 1);
    assert.equal(statuses.filter((status) => status === 429).length, 200 - FREE - 1);
  });

  test('a rejection is recorded in the audit log without the identifier', async () => {
    const events = await throttledEvents(propusk);
    assert.ok(events.length > 0, 'login.throttled recorded');
    const details = JSON.parse(events[0]?.details ?? '{}') as Record<string, unknown>;
    assert.equal(details.surface, 'login');
    assert.match(String(details.scopes), /login\.account/);
    assert.equal(typeof details.retryAfterSeconds, 'number');
    assert.ok(!events.some((event) => /916|@example/.test(event.details)), 'no identifier in the details');
  });
});

describe('login form throttling per address and network', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk({
      env: {
        PROPUSK_TRUSTED_PROXIES: '127.0.0.1',
        PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: '100',
        PROPUSK_THROTTLE_IP_FREE_FAILURES: '3',
        PROPUSK_THROTTLE_NETWORK_FREE_FAILURES: '5',
        PROPUSK_THROTTLE_FIRST_DELAY: '60',
      },
    });
  });
  after(async () => {
    await propusk?.stop();
  });

  test('one address trying many accounts is delayed, then its network', async () => {
    const form = await openLoginForm(propusk.issuer);
    for (let i = 1; i <= 4; i += 1) {
      assert.equal((await postLogin(form, `guess${i}@example.ru`, 'wrong password', '198.51.100.1')).status, 401, `address failure ${i}`);
    }
    assert.equal((await postLogin(form, 'guess5@example.ru', 'wrong password', '198.51.100.1')).status, 429, 'the address is delayed');

    assert.equal((await postLogin(form, 'guess6@example.ru', 'wrong password', '198.51.100.2')).status, 401, 'network failure 5 is free');
    assert.equal((await postLogin(form, 'guess7@example.ru', 'wrong password', '198.51.100.2')).status, 401, 'network failure 6 sets the delay');
    assert.equal((await postLogin(form, 'guess8@example.ru', 'wrong password', '198.51.100.3')).status, 429, 'the network is delayed');

    assert.equal((await postLogin(form, 'guess9@example.ru', 'wrong password', '203.0.113.9')).status, 401, 'another network is not');
  });
});
