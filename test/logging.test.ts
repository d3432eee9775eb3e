import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../src/logging/logger.js';
import { REDACTION_CENSOR } from '../src/logging/redact-secrets.js';
import { redactUrl } from '../src/logging/redact-url.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, client, demoPerson, DEMO_PASSWORD, redeem, relyingParty, submitLogin } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

describe('request URL redaction', () => {
  test('secrets and identifiers in the query are replaced', () => {
    const url = redactUrl('/oidc/auth?client_id=dnevnik&login_hint=%2B79160000001&code=abc&state=xyz');
    assert.match(url, /client_id=dnevnik/);
    assert.doesNotMatch(url, /79160000001|abc|xyz/);
    assert.match(url, /login_hint=\[redacted\]&code=\[redacted\]&state=\[redacted\]/, 'the censor reads as in other fields, not percent-encoded');
  });

  test('a URL without a query is unchanged', () => {
    assert.equal(redactUrl('/interaction/abc'), '/interaction/abc');
  });
});

describe('secret fields in log lines', () => {
  function capture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', pretty: false }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    return { lines, logger };
  }

  test('top-level and nested secrets are censored', () => {
    const { lines, logger } = capture();
    const logged = { password: 'p4ss', client_secret: 's3cr3t', body: { code: 'c0de', token: 't0ken', kept: 1 }, snils: '11223344595', ok: 'yes' };
    logger.info(logged, 'attempt');
    const line = lines[0] as Record<string, unknown>;
    assert.equal(line.password, REDACTION_CENSOR);
    assert.equal(line.client_secret, REDACTION_CENSOR);
    assert.equal(line.snils, REDACTION_CENSOR);
    assert.deepEqual(line.body, { code: REDACTION_CENSOR, token: REDACTION_CENSOR, kept: 1 });
    assert.equal(line.ok, 'yes');
    assert.equal(logged.password, 'p4ss', 'the caller object is unchanged');
    assert.equal(logged.body.code, 'c0de', 'the nested caller object is unchanged');
  });

  test('credential headers and child bindings are censored', () => {
    const { lines, logger } = capture();
    const child = logger.child({ token: 'bound-t0ken', component: 'demo' });
    child.info({ req: { headers: { authorization: 'Bearer abc', cookie: '_session=xyz', host: 'h' } }, res: { headers: { 'set-cookie': 'a=b' } } }, 'headers');
    const line = lines[0] as { token: string; component: string; res: { headers: Record<string, string> } };
    assert.equal(line.token, REDACTION_CENSOR);
    assert.equal(line.component, 'demo');
    assert.equal(line.res.headers['set-cookie'], REDACTION_CENSOR);
    const text = JSON.stringify(lines);
    for (const secret of ['bound-t0ken', 'Bearer abc', '_session=xyz', 'a=b']) {
      assert.ok(!text.includes(secret), `${secret} reached the log`);
    }
  });

  test('interpolated objects and set bindings are censored', () => {
    const { lines, logger } = capture();
    logger.info('login form %o', { password: 'p4ss-in-message' });
    logger.info({ step: 1 }, 'form %j', { token: 't0ken-in-message' });
    const child = logger.child({ component: 'demo' });
    child.setBindings({ secret: 's3cr3t-binding' });
    child.info('after set bindings');
    const text = JSON.stringify(lines);
    for (const secret of ['p4ss-in-message', 't0ken-in-message', 's3cr3t-binding']) {
      assert.ok(!text.includes(secret), `${secret} reached the log`);
    }
    assert.equal(lines.length, 3);
    assert.equal((lines[2] as { secret: string }).secret, REDACTION_CENSOR);
  });

  test('an error keeps its code, message and type', () => {
    const { lines, logger } = capture();
    const error = Object.assign(new TypeError('connect failed'), { code: 'ECONNREFUSED', token: 'err-t0ken' });
    logger.error({ err: error }, 'store unreachable');
    const err = (lines[0] as { err: Record<string, unknown> }).err;
    assert.equal(err.type, 'TypeError');
    assert.equal(err.message, 'connect failed');
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.token, REDACTION_CENSOR);
    assert.match(err.stack as string, /connect failed/);
    assert.equal(error.token, 'err-t0ken', 'the error object is unchanged');

    logger.error(error, 'error as the first argument');
    const direct = (lines[1] as { err: Record<string, unknown>; msg: string });
    assert.equal(direct.err.type, 'TypeError');
    assert.equal(direct.err.token, REDACTION_CENSOR);
    assert.equal(direct.msg, 'error as the first argument');
  });
});

describe('what the logs hold after real logins', () => {
  const lines: string[] = [];
  let propusk: RunningPropusk;
  const teacher = demoPerson((p) => p.email === 'ivanova@example.ru');

  before(async () => {
    propusk = await startPropusk({ logLines: lines });
  });
  after(async () => propusk.stop());

  test('no password, code, token or СНИЛС is logged; one line per request', async () => {
    const rp = await relyingParty(propusk.issuer, 'dnevnik');
    const secrets: string[] = [DEMO_PASSWORD];
    const snils = (teacher.snils as string).replace(/\D/g, '');

    for (const login of [snils, teacher.snils as string, '+79160000001']) {
      const browser = new TestBrowser(propusk.issuer);
      const auth = await authorizationRequest(rp, { login_hint: login });
      const page = await browser.follow(auth.url.toString());
      await submitLogin(browser, page, login, 'a wrong password');
      const hop = await submitLogin(browser, page, login, DEMO_PASSWORD);
      const callback = callbackUrl(hop, rp);
      secrets.push(callback.searchParams.get('code') as string, auth.verifier);
      const tokens = await redeem(rp, callback, auth);
      const refreshed = await client.refreshTokenGrant(rp.config, tokens.refresh_token as string);
      secrets.push(tokens.access_token, tokens.refresh_token as string, tokens.id_token as string, refreshed.refresh_token as string);
    }

    const log = lines.join('');
    assert.ok(lines.length > 20, `only ${lines.length} log lines`);
    for (const secret of secrets) {
      assert.ok(!log.includes(secret), `a secret of length ${secret.length} reached the log`);
    }
    assert.ok(!log.includes(snils), 'СНИЛС digits reached the log');
    assert.ok(!log.includes('+79160000001'), 'a full phone number reached the log');
    assert.ok(!log.includes('%2B79160000001'), 'an encoded phone number reached the log');

    const requests = lines.map((line) => JSON.parse(line) as { msg: string; reqId?: string }).filter((entry) => entry.msg === 'request');
    assert.ok(requests.length > 10);
    const ids = requests.map((entry) => entry.reqId);
    assert.equal(new Set(ids).size, ids.length, 'each request id appears on exactly one request line');
    assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0));
  });
});
