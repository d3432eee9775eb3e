import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Hop } from './helpers/browser.js';
import { IssuerBrowser, localOrigin, loginPage, LOGINS, logoutPage, signedInHome, signIn, unavailablePage } from './helpers/hardening-flows.js';
import { RawBrowser } from './helpers/hardening-raw-browser.js';
import { serviceSecret } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const EVIL_HOST = 'evil.example';

function forgedHeaders(issuer: string): Record<string, string> {
  const otherProtocol = issuer.startsWith('https://') ? 'http' : 'https';
  return {
    host: `${EVIL_HOST}:666`,
    'x-forwarded-host': EVIL_HOST,
    'x-forwarded-proto': otherProtocol,
    'x-forwarded-port': '666',
    forwarded: `for=198.51.100.1;host=${EVIL_HOST};proto=${otherProtocol}`,
    'x-original-host': EVIL_HOST,
    'x-host': EVIL_HOST,
  };
}

/** Checks that every absolute URL in a response goes to the issuer or to a registered service, never to the forged host. */
function assertOwnOrigins(hop: Hop, issuer: string): void {
  const allowed = [new URL(issuer).origin, new URL(serviceSecret('dnevnik').redirectUri).origin];
  assert.ok(!hop.body.includes(EVIL_HOST), `${hop.url}: body names the forged host`);
  assert.ok(!hop.body.includes(':666'), `${hop.url}: body names the forged port`);
  hop.headers.forEach((value, name) => {
    assert.ok(!value.includes(EVIL_HOST), `${hop.url}: header ${name} names the forged host: ${value}`);
    assert.ok(!value.includes(':666'), `${hop.url}: header ${name} names the forged port: ${value}`);
  });
  const urls = [...hop.body.matchAll(/https?:\/\/[^\s"'<>&]+/g)].map((match) => match[0]);
  if (hop.location !== undefined) {
    urls.push(new URL(hop.location, issuer).toString());
  }
  for (const url of urls) {
    // Discovery lists the issuer's endpoints only; pages link the issuer and services.
    assert.ok(
      allowed.some((origin) => url.startsWith(`${origin}/`) || url === origin),
      `${hop.url}: link to a foreign origin ${url}`,
    );
  }
}

for (const issuer of ['http://localhost', 'https://login.school.test']) {
  describe(`forged Host and forwarding headers, issuer ${issuer}`, () => {
    let propusk: RunningPropusk;
    let origin: string;

    before(async () => {
      propusk = await startPropusk(issuer.startsWith('https') ? { env: { PROPUSK_ISSUER: issuer } } : {});
      origin = localOrigin(propusk);
    });
    after(async () => propusk?.stop());

    const forgedBrowser = () => new IssuerBrowser(propusk.issuer, origin, new RawBrowser(origin, forgedHeaders(propusk.issuer)));

    test('pages, redirects and discovery use the configured issuer', async () => {
      const b = forgedBrowser();
      await b.follow(`${origin}/`);
      await b.follow(`${origin}/.well-known/openid-configuration`);
      await b.request(`${origin}/no-such-page`);
      await b.request(`${origin}/%zz`);
      await b.follow(`${origin}/oidc/auth?client_id=unknown&response_type=code&scope=openid`);

      const service = forgedBrowser();
      const login = await loginPage(service, origin, 'dnevnik');
      await service.submit(login, { login: LOGINS.teacherParent, password: 'wrong' });
      const back = await signIn(service, login, LOGINS.teacherParent);
      assert.equal(back.status, 303);
      assert.ok(back.location?.startsWith(serviceSecret('dnevnik').redirectUri), `back to the service: ${back.location}`);

      await unavailablePage(forgedBrowser(), origin);

      const home = forgedBrowser();
      const page = await signedInHome(home, origin);
      const role = /<option value="([^"]+)">/.exec(page.body)?.[1] as string;
      await home.submit(page, { role });
      const logout = await logoutPage(home, origin);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(logout.body)?.[1] as string;
      await home.follow(`${origin}/oidc/session/end/confirm`, { form: { xsrf, logout: 'yes' } });

      const hops = [...b.hops, ...service.hops, ...home.hops];
      assert.ok(hops.filter((hop) => hop.location !== undefined).length >= 8, 'redirects were checked');
      for (const hop of hops) {
        assert.ok(hop.status < 500, `${hop.url}: ${hop.status}`);
        assertOwnOrigins(hop, propusk.issuer);
      }
      const discovery = b.hops.find((hop) => hop.url.endsWith('/.well-known/openid-configuration'));
      assert.equal((JSON.parse(discovery?.body ?? '{}') as { issuer?: string }).issuer, propusk.issuer);
    });
  });
}
