// Propusk while its Redis is down or stalled. Requests that need Redis get a
// clear 503 with Retry-After: a Russian page for people, the OAuth error
// temporarily_unavailable for services. None hangs, the failed requests
// consume nothing, and the node recovers without a restart when Redis is
// back. The private redis-server keeps its data in an append-only file, so
// that the same session can be used after the restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { TestBrowser } from './helpers/browser.js';
import { authorizationRequest, client, passwordLogin, relyingParty, serviceSecret, type RelyingParty } from './helpers/oidc-flow.js';
import { openLoginForm, postLogin, type OpenLoginForm } from './helpers/login-form.js';
import { redisServerAvailable, startPrivateRedis, type PrivateRedis } from './helpers/private-redis.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { serviceGate } from './helpers/services.js';
import { DEMO_PASSWORD } from './helpers/oidc-flow.js';

/** Bound on the response time of a request during the outage: a hang fails the test instead of stalling it. */
const ANSWER_BOUND_MS = 10_000;
/** The client reconnects at least every 2 s, so recovery within this bound is generous. */
const RECOVERY_BOUND_MS = 15_000;
/** What a browser sends when it opens a page. */
const PAGE = { accept: 'text/html,application/xhtml+xml' };

interface Answer {
  status: number;
  retryAfter: string | null;
  contentType: string;
  body: string;
}

async function answer(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), contentType: response.headers.get('content-type') ?? '', body: await response.text() };
}

function basicAuth(clientId: string): string {
  return `Basic ${Buffer.from(`${clientId}:${serviceSecret(clientId).secret}`).toString('base64')}`;
}

function refreshRequest(issuer: string, refreshToken: string): Promise<Answer> {
  return answer(`${issuer}/oidc/token`, {
    method: 'POST',
    headers: { authorization: basicAuth('dnevnik'), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
}

function assertUnavailablePage(result: Answer, request: string): void {
  assert.equal(result.status, 503, `${request}: status`);
  assert.ok(Number(result.retryAfter) > 0, `${request}: Retry-After is ${result.retryAfter}`);
  assert.match(result.contentType, /text\/html/, `${request}: a page`);
  assert.match(result.body, /Сервис временно недоступен, попробуйте через \d+ секунд/, `${request}: the Russian message`);
}

function assertUnavailableJson(result: Answer, request: string): void {
  assert.equal(result.status, 503, `${request}: status`);
  assert.ok(Number(result.retryAfter) > 0, `${request}: Retry-After is ${result.retryAfter}`);
  assert.equal((JSON.parse(result.body) as { error?: string }).error, 'temporarily_unavailable', `${request}: OAuth error`);
}

/** Wait until the node serves an authorization request again. */
async function waitForRecovery(issuer: string, rp: RelyingParty, browser: TestBrowser): Promise<void> {
  const deadline = Date.now() + RECOVERY_BOUND_MS;
  for (;;) {
    const hop = await browser.request((await authorizationRequest(rp)).url.toString());
    if (hop.status !== 503) {
      return;
    }
    assert.ok(Date.now() < deadline, `${issuer} still answers 503 ${RECOVERY_BOUND_MS} ms after Redis returned`);
    await sleep(200);
  }
}

const gate = await serviceGate(redisServerAvailable);

describe('Redis outage', { ...gate, timeout: 120_000 }, () => {
  let redis: PrivateRedis;
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let signedIn: Awaited<ReturnType<typeof passwordLogin>>;
  let openForm: OpenLoginForm;

  before(async () => {
    redis = await startPrivateRedis({ appendOnly: true });
    propusk = await startPropusk({ env: { REDIS_URL: redis.url } });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    signedIn = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    openForm = await openLoginForm(propusk.issuer);
  });

  after(async () => {
    await propusk?.stop();
    await redis?.destroy();
  });

  test('Redis stopped: 503 with Retry-After, then recovery', async () => {
    await redis.stop();

    const sso = await signedIn.browser.request((await authorizationRequest(dnevnik)).url.toString(), { headers: PAGE });
    assertUnavailablePage({ status: sso.status, retryAfter: sso.headers.get('retry-after'), contentType: sso.headers.get('content-type') ?? '', body: sso.body }, 'authorization');

    const english = await answer((await authorizationRequest(dnevnik)).url.toString(), { headers: { ...PAGE, 'accept-language': 'en' } });
    assert.equal(english.status, 503);
    assert.match(english.body, /The service is temporarily unavailable, try again in \d+ seconds/);

    const login = await postLogin(openForm, '+79160000002', DEMO_PASSWORD);
    assertUnavailablePage({ status: login.status, retryAfter: login.headers.get('retry-after'), contentType: login.headers.get('content-type') ?? '', body: login.body }, 'login form');

    const home = await signedIn.browser.request('/', { headers: PAGE });
    assert.equal(home.status, 503, 'home page');
    assert.ok(Number(home.headers.get('retry-after')) > 0);

    assertUnavailableJson(await refreshRequest(propusk.issuer, signedIn.tokens.refresh_token as string), 'refresh grant');
    const consumed = await propusk.runtime.store.db
      .selectFrom('oidc_payloads')
      .select('id')
      .where('model', '=', 'RefreshToken')
      .where('consumed_at', 'is not', null)
      .execute();
    assert.deepEqual(consumed, [], 'the refused refresh grant consumed no refresh token');
    const userinfo = await answer(`${propusk.issuer}/oidc/me`, { headers: { authorization: `Bearer ${signedIn.tokens.access_token}` } });
    assertUnavailableJson(userinfo, 'userinfo');

    const discovery = await answer(`${propusk.issuer}/.well-known/openid-configuration`);
    assert.equal(discovery.status, 200, 'discovery needs no Redis');
    assert.equal((await answer(`${propusk.issuer}/oidc/jwks`)).status, 200, 'the signing keys need no Redis');

    await redis.start();
    await waitForRecovery(propusk.issuer, dnevnik, new TestBrowser(propusk.issuer));

    // The refresh token the service sent during the outage was not consumed, and the session survived in the append-only file.
    const refreshed = await client.refreshTokenGrant(dnevnik.config, signedIn.tokens.refresh_token as string);
    assert.ok(refreshed.access_token !== undefined);
    const fresh = await passwordLogin(propusk.issuer, dnevnik, '+79160000002');
    assert.ok(fresh.tokens.id_token !== undefined, 'a new login works');
  });

  test('Redis stalled: commands time out with 503, no hang', async () => {
    const probe = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {});
    await probe.connect();
    const pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))?.[1]);
    probe.disconnect();
    assert.ok(pid > 0, 'redis-server process id');
    process.kill(pid, 'SIGSTOP');
    try {
      // The connection stays open, so only the command timeout ends these requests.
      assertUnavailableJson(await refreshRequest(propusk.issuer, signedIn.tokens.refresh_token as string), 'refresh grant');
      const hop = await signedIn.browser.request((await authorizationRequest(dnevnik)).url.toString(), { headers: PAGE });
      assertUnavailablePage({ status: hop.status, retryAfter: hop.headers.get('retry-after'), contentType: hop.headers.get('content-type') ?? '', body: hop.body }, 'authorization');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitForRecovery(propusk.issuer, dnevnik, new TestBrowser(propusk.issuer));
    const fresh = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    assert.ok(fresh.tokens.id_token !== undefined);
  });
});
