import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/*
 * A provider path or method without a route gets Propusk's 404 page in the
 * person's language, with the page's nonce in the security policy, instead
 * of Koa's plain-text "Not Found".
 */
describe('provider paths without a route', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk();
  });
  after(async () => propusk?.stop());

  const cases = [
    { label: 'unknown path', path: '/oidc/no-such-endpoint', method: 'GET' },
    { label: 'PUT on end-session', path: '/oidc/session/end', method: 'PUT' },
  ];

  for (const { label, path, method } of cases) {
    test(`${label}: 404 page, ru and en`, async () => {
      for (const [language, text] of [
        ['ru', 'Страница не найдена.'],
        ['en', 'Page not found.'],
      ] as const) {
        const response = await fetch(`${propusk.issuer}${path}`, { method, headers: { 'accept-language': language } });
        const body = await response.text();
        assert.equal(response.status, 404, `${label} (${language})`);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
        assert.ok(body.includes(text), `${label} (${language}): ${body.slice(0, 200)}`);
        const nonce = /nonce="([^"]+)"/.exec(body)?.[1];
        assert.ok(nonce !== undefined, 'the page carries a nonce');
        assert.ok(response.headers.get('content-security-policy')?.includes(`'nonce-${nonce}'`), 'the policy names the page nonce');
      }
    });
  }
});
