import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Hop } from './helpers/browser.js';
import {
  authorizationUrl,
  IssuerBrowser,
  localOrigin,
  loginPage,
  logoutPage,
  passwordPage,
  roleChooser,
  signedInHome,
  signIn,
  LOGINS,
  unavailablePage,
} from './helpers/hardening-flows.js';
import { cspNonceOf } from '../src/server/security-headers.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

function csp(hop: Hop): string {
  const header = hop.headers.get('content-security-policy');
  assert.ok(header !== null, `${hop.url}: no Content-Security-Policy`);
  return header;
}

function directive(policy: string, name: string): string[] | undefined {
  const entry = policy
    .split(';')
    .map((part) => part.trim().split(/\s+/))
    .find(([directiveName]) => directiveName === name);
  return entry?.slice(1);
}

/** Check the policy of one response and return its nonce. */
function checkPolicy(hop: Hop): string {
  const policy = csp(hop);
  const scripts = directive(policy, 'script-src');
  assert.ok(scripts !== undefined, `${hop.url}: no script-src in ${policy}`);
  const nonce = scripts.find((source) => source.startsWith("'nonce-"))?.slice(7, -1);
  assert.ok(nonce !== undefined, `${hop.url}: no nonce in ${policy}`);
  assert.ok(nonce.length >= 22, `${hop.url}: short nonce ${nonce}`);
  assert.ok(scripts.includes("'strict-dynamic'"), `${hop.url}: no strict-dynamic`);
  assert.ok(!scripts.includes("'unsafe-inline'"), `${hop.url}: 'unsafe-inline' in script-src`);
  assert.ok(!scripts.includes("'self'"), `${hop.url}: 'self' in script-src`);
  assert.deepEqual(directive(policy, 'style-src'), ["'self'", `'nonce-${nonce}'`], `${hop.url}: style-src`);
  assert.deepEqual(directive(policy, 'object-src'), ["'none'"], `${hop.url}: object-src`);
  assert.deepEqual(directive(policy, 'base-uri'), ["'none'"], `${hop.url}: base-uri`);
  assert.deepEqual(directive(policy, 'frame-ancestors'), ["'none'"], `${hop.url}: frame-ancestors`);
  assert.equal(hop.headers.get('x-content-type-options'), 'nosniff', `${hop.url}: nosniff`);
  assert.equal(hop.headers.get('referrer-policy'), 'no-referrer', `${hop.url}: referrer-policy`);
  return nonce;
}

/** Checks that every script and stylesheet tag of a Propusk page carries the header's nonce, and that nothing inline runs without it. */
function checkPage(hop: Hop): string {
  const nonce = checkPolicy(hop);
  assert.match(hop.headers.get('content-type') ?? '', /^text\/html/, `${hop.url}: not a page`);
  const scripts = [...hop.body.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
  const styles = [...hop.body.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*>|<style\b[^>]*>/g)].map((match) => match[0]);
  assert.ok(scripts.length > 0, `${hop.url}: no script tag`);
  assert.ok(styles.length > 0, `${hop.url}: no stylesheet tag`);
  for (const tag of [...scripts, ...styles]) {
    assert.ok(tag.includes(` nonce="${nonce}"`), `${hop.url}: ${tag} lacks the nonce ${nonce}`);
  }
  assert.doesNotMatch(hop.body, /\sstyle="/, `${hop.url}: inline style attribute`);
  assert.doesNotMatch(hop.body, /\son[a-z]+="/, `${hop.url}: inline event handler`);
  return nonce;
}

describe('security headers over http', () => {
  let propusk: RunningPropusk;
  let origin: string;

  before(async () => {
    propusk = await startPropusk();
    origin = localOrigin(propusk);
  });
  after(async () => propusk?.stop());

  test('server: request time limit set', () => {
    // Fastify leaves it at 0 (no limit), so a body sent a byte at a time would hold a connection.
    assert.equal(propusk.app.server.requestTimeout, 30_000);
  });

  test('every page has a fresh nonce on its script and stylesheet', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const pages: Array<[string, Hop]> = [];
    pages.push(['anonymous home', await b.follow(`${origin}/`)]);
    const login = await loginPage(b, origin, 'dnevnik');
    pages.push(['login page', login]);
    pages.push(['login page after an error', await b.submit(login, { login: LOGINS.teacherParent, password: 'wrong' })]);
    pages.push(['role chooser', await roleChooser(new IssuerBrowser(propusk.issuer, origin), origin)]);
    pages.push(['unavailable page', await unavailablePage(new IssuerBrowser(propusk.issuer, origin), origin)]);
    const signedIn = new IssuerBrowser(propusk.issuer, origin);
    pages.push(['home page', await signedInHome(signedIn, origin)]);
    const logout = await logoutPage(signedIn, origin);
    pages.push(['logout page', logout]);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(logout.body)?.[1] as string;
    const done = await signedIn.follow(`${origin}/oidc/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
    pages.push(['logout done page', done]);
    const passwordBrowser = new IssuerBrowser(propusk.issuer, origin);
    pages.push(['password change page', await passwordPage(passwordBrowser, origin)]);
    pages.push(['provider error page', await b.follow(`${origin}/oidc/auth?client_id=unknown&response_type=code&scope=openid`)]);
    pages.push(['not found page', await b.request(`${origin}/no-such-page`)]);
    pages.push(['malformed URL page', await b.request(`${origin}/%zz`)]);
    pages.push(['CSRF error page', await b.request(`${origin}/role`, { form: { role: 'x' } })]);

    const nonces = new Set<string>();
    for (const [name, hop] of pages) {
      await test(name, () => {
        nonces.add(checkPage(hop));
      });
    }
    assert.equal(nonces.size, pages.length, 'a nonce was reused');
  });

  test('every response, redirects and JSON included, carries the headers', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    await signedInHome(b, origin);
    await b.follow(`${origin}/.well-known/openid-configuration`);
    await b.follow(`${origin}/oidc/jwks`);
    await b.follow(`${origin}/healthz`);
    await b.follow(`${origin}/assets/propusk.css`);
    await b.follow(`${origin}/assets/propusk.js`);
    assert.ok(b.hops.some((hop) => hop.status === 303 && hop.url.includes('/oidc/auth')), 'a provider redirect was checked');
    for (const hop of b.hops) {
      checkPolicy(hop);
      assert.equal(hop.headers.get('strict-transport-security'), null, `${hop.url}: HSTS over http`);
    }
  });

  test('form_post page runs its inline script by hash, and nothing else inline', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    const page = await signIn(b, await loginPage(b, origin, 'dnevnik', { response_mode: 'form_post' }), LOGINS.teacherParent);
    assert.equal(page.status, 200, `form_post page: ${page.status} ${page.location ?? ''}`);
    assert.match(page.body, /<form method="post" action="http:\/\/localhost:3001\/dnevnik\/callback">/);
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)?.[1];
    assert.ok(script !== undefined, 'the form_post page has its inline script');
    const digest = createHash('sha256').update(script).digest('base64');
    const nonce = checkPolicy(page);
    const scripts = directive(csp(page), 'script-src') as string[];
    assert.deepEqual(scripts, [`'nonce-${nonce}'`, "'strict-dynamic'", `'sha256-${digest}'`]);
  });
});

describe('security headers over https', () => {
  let propusk: RunningPropusk;
  let origin: string;

  before(async () => {
    propusk = await startPropusk({ env: { PROPUSK_ISSUER: 'https://login.school.test' } });
    origin = localOrigin(propusk);
  });
  after(async () => propusk?.stop());

  test('HSTS on every response, pages and provider alike', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    await signedInHome(b, origin);
    await b.follow(`${origin}/.well-known/openid-configuration`);
    await b.request(`${origin}/no-such-page`);
    assert.ok(b.hops.length >= 6);
    for (const hop of b.hops) {
      checkPolicy(hop);
      assert.equal(hop.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains', `${hop.url}: HSTS`);
    }
  });

  test('a login page has a nonce here too', async () => {
    const b = new IssuerBrowser(propusk.issuer, origin);
    checkPage(await loginPage(b, origin, 'dnevnik'));
    assert.ok(authorizationUrl(origin, 'dnevnik').startsWith(origin));
  });
});

describe('CSP nonces', () => {
  test('unique, 18 bytes, stable per request', () => {
    const seen = new Set<string>();
    // More requests than one draw of random bytes serves, so the pool is refilled on the way.
    for (let index = 0; index < 600; index += 1) {
      const request = {} as IncomingMessage;
      const nonce = cspNonceOf(request);
      assert.equal(Buffer.from(nonce, 'base64').length, 18);
      assert.equal(cspNonceOf(request), nonce, 'the same request keeps its nonce');
      seen.add(nonce);
    }
    assert.equal(seen.size, 600, 'no nonce is handed out twice');
  });
});
