import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { redactUrl } from '../src/logging/redact-url.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, client, demoPerson, DEMO_PASSWORD, redeem, relyingParty, submitLogin } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

describe('request URL redaction', () => {
  test('secrets and identifiers in the query are replaced', () => {
    const url = redactUrl('/oidc/auth?client_id=dnevnik&login_hint=%2B79160000001&code=abc&state=xyz');
    assert.match(url, /client_id=dnevnik/);
    assert.doesNotMatch(url, /79160000001|abc|xyz/);
  });

  test('a URL without a query is unchanged', () => {
    assert.equal(redactUrl('/interaction/abc'), '/interaction/abc');
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
