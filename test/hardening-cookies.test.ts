import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IssuerBrowser, localOrigin, loginPage, logoutPage, signedInHome } from './helpers/hardening-flows.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

interface SetCookie {
  name: string;
  attributes: Map<string, string>;
  line: string;
}

function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const attributes = new Map<string, string>();
  for (const attribute of rest) {
    const [key = '', ...value] = attribute.trim().split('=');
    attributes.set(key.toLowerCase(), value.join('='));
  }
  return { name: pair.slice(0, pair.indexOf('=')).trim(), attributes, line };
}

/** Collects every Set-Cookie header of a whole sign-in, home page and logout. */
async function cookiesOfAFullVisit(propusk: RunningPropusk): Promise<SetCookie[]> {
  const origin = localOrigin(propusk);
  const b = new IssuerBrowser(propusk.issuer, origin);
  await loginPage(b, origin, 'dnevnik');
  await signedInHome(b, origin);
  const logout = await logoutPage(b, origin);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(logout.body)?.[1] as string;
  await b.follow(`${origin}/oidc/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
  return b.hops.flatMap((hop) => hop.headers.getSetCookie()).map(parseSetCookie);
}

function baseName(name: string): string {
  return name.replace(/\.sig$/, '');
}

describe('cookies over https', () => {
  let propusk: RunningPropusk;
  let cookies: SetCookie[];

  before(async () => {
    // An https issuer in front of a plain http listener, as behind a TLS-terminating proxy.
    propusk = await startPropusk({ env: { PROPUSK_ISSUER: 'https://login.school.test' } });
    cookies = await cookiesOfAFullVisit(propusk);
  });
  after(async () => propusk?.stop());

  test('each cookie Propusk sets has its expected prefixed name', () => {
    const names = new Set(cookies.map((cookie) => baseName(cookie.name)));
    assert.deepEqual([...names].sort(), ['__Host-propusk-csrf', '__Host-propusk-session', '__Secure-propusk-interaction', '__Secure-propusk-resume']);
  });

  test('every cookie is Secure and HttpOnly, with no Domain', () => {
    for (const cookie of cookies) {
      assert.ok(cookie.attributes.has('secure'), `not Secure: ${cookie.line}`);
      assert.ok(cookie.attributes.has('httponly'), `not HttpOnly: ${cookie.line}`);
      assert.equal(cookie.attributes.has('domain'), false, `has a Domain: ${cookie.line}`);
      assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax', `SameSite: ${cookie.line}`);
    }
  });

  test('__Host- cookies have Path=/', () => {
    const host = cookies.filter((cookie) => cookie.name.startsWith('__Host-'));
    assert.ok(host.length > 0);
    for (const cookie of host) {
      assert.equal(cookie.attributes.get('path'), '/', cookie.line);
    }
  });

  test('interaction cookies are limited to one interaction', () => {
    const interaction = cookies.filter((cookie) => baseName(cookie.name) === '__Secure-propusk-interaction');
    const resume = cookies.filter((cookie) => baseName(cookie.name) === '__Secure-propusk-resume');
    assert.ok(interaction.length > 0, 'an interaction cookie was set');
    assert.ok(resume.length > 0, 'a resume cookie was set');
    for (const cookie of interaction) {
      assert.match(cookie.attributes.get('path') ?? '', /^\/interaction\/[\w-]+$/, cookie.line);
    }
    for (const cookie of resume) {
      assert.match(cookie.attributes.get('path') ?? '', /^\/oidc\/auth\/[\w-]+$/, cookie.line);
    }
  });
});

describe('cookies over http', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk();
  });
  after(async () => propusk?.stop());

  test('no prefixes and no Secure flag, still HttpOnly', async () => {
    const cookies = await cookiesOfAFullVisit(propusk);
    const names = new Set(cookies.map((cookie) => baseName(cookie.name)));
    assert.deepEqual([...names].sort(), ['propusk-csrf', 'propusk-interaction', 'propusk-resume', 'propusk-session']);
    for (const cookie of cookies) {
      assert.equal(cookie.attributes.has('secure'), false, cookie.line);
      assert.ok(cookie.attributes.has('httponly'), cookie.line);
    }
  });
});
