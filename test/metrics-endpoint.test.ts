// /metrics on a real server: access by bearer token, the request histogram
// with bounded route labels, logins by outcome, adapter latency, the
// password-hash pool and the back-channel logout queue.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formAction, formField, TestBrowser, type Hop } from './helpers/browser.js';
import { authorizationRequest, client, DEMO_PASSWORD, passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { createRejectedScrapeReporter, type RejectedScrapeWarning } from '../src/metrics/rejected-scrapes.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const TOKEN = 'metrics-test-token-0123456789abcdefghijkl';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse the Prometheus text format into samples; comment lines are skipped. */
function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(match !== null, `not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
      return { name: match[1] as string, labels: labels as Record<string, string>, value: Number(match[3]) };
    });
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

async function scrape(issuer: string): Promise<Sample[]> {
  const response = await fetch(`${issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200);
  return parseSamples(await response.text());
}

async function openLoginPage(issuer: string, rp: RelyingParty): Promise<{ browser: TestBrowser; page: Hop }> {
  const browser = new TestBrowser(issuer);
  const page = await browser.follow((await authorizationRequest(rp)).url.toString());
  assert.equal(page.status, 200);
  return { browser, page };
}

function postLogin(browser: TestBrowser, page: Hop, login: string, password: string): Promise<Hop> {
  return browser.request(formAction(page.body), { form: { csrf: formField(page.body, 'csrf'), login, password } });
}

describe('/metrics without PROPUSK_METRICS_TOKEN', () => {
  let propusk: RunningPropusk;
  before(async () => {
    propusk = await startPropusk();
  });
  after(async () => propusk.stop());

  test('is not served at all', async () => {
    const response = await fetch(`${propusk.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 404);
    assert.doesNotMatch(await response.text(), /propusk_/);
  });
});

describe('/metrics with PROPUSK_METRICS_TOKEN', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  const logLines: string[] = [];

  before(async () => {
    propusk = await startPropusk({
      env: { PROPUSK_METRICS_TOKEN: TOKEN, PROPUSK_HASH_THREADS: '2', PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: '0' },
      logLines,
    });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
  });
  after(async () => propusk.stop());

  // First, because the queue count is cached for a few seconds after a scrape.
  test('counts the back-channel logout queue by state', async () => {
    const row = { client_id: 'dnevnik', sub: 'someone', reason: 'logout' as const, attempts: 0, next_attempt_at: Date.now() + 3_600_000, last_error: null, created_at: Date.now(), delivered_at: null };
    await propusk.runtime.store.db
      .insertInto('backchannel_logouts')
      .values([
        { ...row, sid: 'sid-1', state: 'pending' },
        { ...row, sid: 'sid-2', state: 'pending' },
        { ...row, sid: 'sid-3', state: 'failed' },
        { ...row, sid: 'sid-4', state: 'delivered' },
      ])
      .execute();
    const samples = await scrape(propusk.issuer);
    assert.equal(valueOf(samples, 'propusk_backchannel_logout_queue_rows', { state: 'pending' }), 2);
    assert.equal(valueOf(samples, 'propusk_backchannel_logout_queue_rows', { state: 'failed' }), 1);
  });

  test('wrong token: 401, challenge, one warning', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of attempts) {
      const response = await fetch(`${propusk.issuer}/metrics`, { headers });
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      assert.doesNotMatch(await response.text(), /propusk_/);
    }
    const warnings = logLines.map((line) => JSON.parse(line) as { level: number; msg: string; rejected?: number }).filter((line) => line.level === 40 && line.msg.startsWith('metrics scrape rejected'));
    assert.equal(warnings.length, 1, 'the later rejections of the same minute are counted, not logged');
    assert.equal(warnings[0]?.rejected, 1);
    assert.ok(!logLines.some((line) => line.includes(`${TOKEN}x`)), 'the presented token is never logged');
  });

  test('rejected scrapes: warning per interval', () => {
    let now = 0;
    const pending: Array<{ run: () => void; at: number }> = [];
    const timers = {
      now: () => now,
      schedule(run: () => void, delayMs: number) {
        const entry = { run, at: now + delayMs };
        pending.push(entry);
        return { cancel: () => void pending.splice(pending.indexOf(entry), 1) };
      },
    };
    const warnings: RejectedScrapeWarning[] = [];
    const reporter = createRejectedScrapeReporter((warning) => warnings.push(warning), 60_000, timers);

    reporter.rejected('192.0.2.1');
    assert.deepEqual(warnings, [{ rejected: 1, ip: '192.0.2.1' }], 'the first rejection is reported at once');
    now = 1_000;
    reporter.rejected('192.0.2.2');
    reporter.rejected('192.0.2.3');
    assert.equal(warnings.length, 1, 'later rejections wait for the end of the interval');
    assert.equal(pending.length, 1, 'one summary is scheduled');
    assert.equal(pending[0]?.at, 60_000);

    now = 60_000;
    pending.shift()?.run();
    assert.deepEqual(warnings[1], { rejected: 2, ip: '192.0.2.3' }, 'the summary counts the silent rejections');
    now = 70_000;
    reporter.rejected('192.0.2.4');
    assert.equal(warnings.length, 2, 'a summary starts a new quiet interval');
    reporter.close();
    assert.deepEqual(warnings[2], { rejected: 1, ip: '192.0.2.4' }, 'closing reports what is still waiting');
    assert.equal(pending.length, 0);
    reporter.rejected('192.0.2.5');
    assert.deepEqual(warnings[3], { rejected: 1, ip: '192.0.2.5' }, 'a rejection after close is reported at once');
    assert.equal(pending.length, 0, 'and schedules nothing');
  });

  test('serves the Prometheus text format with the default process metrics', async () => {
    const response = await fetch(`${propusk.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const samples = parseSamples(await response.text());
    assert.ok(valueOf(samples, 'process_cpu_seconds_total') !== undefined);
    assert.ok(valueOf(samples, 'nodejs_eventloop_lag_seconds') !== undefined);
  });

  test('request histogram by route label', async () => {
    const before = await scrape(propusk.issuer);
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, 'smirnov@example.ru');
    await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
    const samples = await scrape(propusk.issuer);

    const count = (route: string, method: string, status: string) =>
      (valueOf(samples, 'propusk_http_request_duration_seconds_count', { route, method, status }) ?? 0) -
      (valueOf(before, 'propusk_http_request_duration_seconds_count', { route, method, status }) ?? 0);
    assert.equal(count('oidc:authorization', 'GET', '303'), 2, 'the authorization request and its resume after the login');
    assert.equal(count('/interaction/:uid', 'GET', '200'), 1);
    assert.equal(count('/interaction/:uid/login', 'POST', '303'), 1);
    assert.equal(count('oidc:token', 'POST', '200'), 2, 'the code and the refresh grant');

    const routes = new Set(samples.filter((sample) => sample.name.startsWith('propusk_http_')).map((sample) => sample.labels.route as string));
    for (const route of routes) {
      assert.match(route, /^(oidc:[a-z_]+|unmatched|\/[a-z/:._-]*)$/, `route label ${route}`);
      assert.doesNotMatch(route, /[A-Za-z0-9_-]{20,}/, `route label ${route} looks like it carries an id`);
    }
  });

  test('counts logins by outcome: success, failure and throttled', async () => {
    const outcome = (samples: Sample[], name: string) => valueOf(samples, 'propusk_logins_total', { outcome: name }) ?? NaN;
    const before = await scrape(propusk.issuer);
    assert.equal(outcome(before, 'overloaded'), 0, 'every outcome is exported from the start');

    await passwordLogin(propusk.issuer, dnevnik, 'smirnov@example.ru');
    const first = await openLoginPage(propusk.issuer, dnevnik);
    assert.equal((await postLogin(first.browser, first.page, 'ivanova@example.ru', 'wrong password')).status, 401);
    // No failure is free (PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES=0), so the next attempt meets a delay.
    const second = await openLoginPage(propusk.issuer, dnevnik);
    assert.equal((await postLogin(second.browser, second.page, 'ivanova@example.ru', DEMO_PASSWORD)).status, 429);

    const after = await scrape(propusk.issuer);
    assert.equal(outcome(after, 'success') - outcome(before, 'success'), 1);
    assert.equal(outcome(after, 'failure') - outcome(before, 'failure'), 1);
    assert.equal(outcome(after, 'throttled') - outcome(before, 'throttled'), 1);
    assert.equal(outcome(after, 'overloaded'), 0);
  });

  test('times the oidc-provider adapter by model and operation', async () => {
    const samples = await scrape(propusk.issuer);
    const calls = (model: string, operation: string) => valueOf(samples, 'propusk_oidc_adapter_duration_seconds_count', { model, operation }) ?? 0;
    assert.ok(calls('Session', 'upsert') > 0);
    assert.ok(calls('Interaction', 'find') > 0);
    assert.ok(calls('AuthorizationCode', 'consume') > 0);
    assert.ok(calls('Client', 'find') > 0);
  });

  test('reports the password-hash pool', async () => {
    const samples = await scrape(propusk.issuer);
    assert.equal(valueOf(samples, 'propusk_password_hash_threads'), 2);
    assert.equal(valueOf(samples, 'propusk_password_hash_queued_jobs'), 0);
    assert.equal(valueOf(samples, 'propusk_password_hash_rejected_total'), 0);
    assert.ok((valueOf(samples, 'propusk_password_hash_completed_total') ?? 0) >= 3, 'the checks of the logins above');
  });
});

describe('/metrics under password-hash overload', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;

  before(async () => {
    // One thread and a 1 ms limit: a password check that arrives while another runs is rejected.
    propusk = await startPropusk({ env: { PROPUSK_METRICS_TOKEN: TOKEN, PROPUSK_HASH_THREADS: '1', PROPUSK_HASH_MAX_WAIT_MS: '1' } });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
  });
  after(async () => propusk.stop());

  test('overloaded logins counted', async () => {
    const pages = await Promise.all(Array.from({ length: 8 }, () => openLoginPage(propusk.issuer, dnevnik)));
    const answers = await Promise.all(pages.map(({ browser, page }) => postLogin(browser, page, 'smirnov@example.ru', DEMO_PASSWORD)));
    const statuses = answers.map((answer) => answer.status);
    const rejected = statuses.filter((status) => status === 503).length;
    assert.ok(rejected > 0, `expected some 503 answers, got ${statuses.join(', ')}`);
    // The eight attempts are counted on the account before any password is checked, so those beyond its free
    // failures get 429 while the others are in flight. Each response is counted under its own outcome.
    const throttled = statuses.filter((status) => status === 429).length;
    assert.equal(rejected + throttled + statuses.filter((status) => status === 303).length, answers.length, `unexpected statuses: ${statuses.join(', ')}`);

    const samples = await scrape(propusk.issuer);
    assert.equal(valueOf(samples, 'propusk_logins_total', { outcome: 'overloaded' }), rejected);
    assert.equal(valueOf(samples, 'propusk_logins_total', { outcome: 'throttled' }) ?? 0, throttled);
    assert.equal(valueOf(samples, 'propusk_logins_total', { outcome: 'success' }), answers.length - rejected - throttled);
    assert.equal(valueOf(samples, 'propusk_password_hash_rejected_total'), rejected);
  });
});
