// Page fixtures for the hardening tests: reach each Propusk page (login, role
// chooser, unavailable, home, logout) with a cookie-jar browser, also when the
// issuer is an https URL that only names a plain http listener on loopback.
import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { formAction, formField, TestBrowser, type Hop } from './browser.js';
import { DEMO_PASSWORD, serviceSecret } from './oidc-flow.js';
import type { RunningPropusk } from './propusk-server.js';

/** Returns the listener's own origin, because the issuer may name a host that exists only in Propusk's configuration. */
export function localOrigin(propusk: RunningPropusk): string {
  const address = propusk.app.server.address();
  assert.ok(address !== null, 'server is not listening');
  assert.ok(typeof address === 'object', 'server listens on a pipe');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * Builds an authorization request URL by hand, so no discovery over the network
 * is needed. A client that is not a demo service needs `redirect_uri` in `extra`.
 */
export function authorizationUrl(origin: string, clientId: string, extra: Record<string, string> = {}): string {
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = extra.redirect_uri ?? serviceSecret(clientId).redirectUri;
  const url = new URL('/oidc/auth', origin);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile roles',
    redirect_uri: redirectUri,
    state: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return url.toString();
}

/**
 * A cookie-jar browser that follows redirects within the issuer, sending the
 * requests to the local listener when the issuer's origin is not reachable.
 * Every hop is kept, so tests can check each response's headers.
 */
/** What IssuerBrowser sends its requests through: TestBrowser (fetch) or RawBrowser (node:http). */
export interface Transport {
  request(url: string, init?: { method?: string; form?: Record<string, string>; headers?: Record<string, string> }): Promise<Hop>;
}

export class IssuerBrowser {
  readonly browser: Transport;
  readonly hops: Hop[] = [];
  private readonly issuerOrigin: string;

  constructor(
    issuer: string,
    private readonly local: string,
    transport?: Transport,
  ) {
    this.issuerOrigin = new URL(issuer).origin;
    this.browser = transport ?? new TestBrowser(local);
  }

  private toLocal(url: string): string {
    const absolute = new URL(url, this.local);
    return absolute.origin === this.issuerOrigin ? `${this.local}${absolute.pathname}${absolute.search}` : absolute.toString();
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Hop> {
    const hop = await this.browser.request(this.toLocal(url), init);
    this.hops.push(hop);
    return hop;
  }

  /** Follow redirects inside the issuer; stop at a page or at a redirect to another origin. */
  async follow(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Hop> {
    let hop = await this.request(url, init);
    for (let i = 0; i < 20 && hop.location !== undefined && hop.status >= 300 && hop.status < 400; i += 1) {
      const next = new URL(this.toLocal(new URL(hop.location, hop.url).toString()));
      if (next.origin !== this.local) {
        return hop;
      }
      hop = await this.request(next.toString(), { headers: init.headers });
    }
    return hop;
  }

  async submit(page: Hop, fields: Record<string, string>, headers?: Record<string, string>): Promise<Hop> {
    return this.follow(formAction(page.body), { form: { csrf: formField(page.body, 'csrf'), ...fields }, headers });
  }
}

export const LOGINS = {
  /** Teacher and parent: the role chooser appears at Библиотека. */
  teacherParent: 'ivanova@example.ru',
  /** Only a student: Журнал (teacher, staff) is unavailable to her. */
  studentOnly: 'anna.smirnova@example.ru',
  /** One role (staff): signs in to the home page without a question. Tests that change a password use her. */
  staffOnly: 'kuznetsova@example.ru',
} as const;

/** A password that the password policy accepts for the demo people. */
export const NEW_PASSWORD = 'Zelenyj-Kompot-Sinica-4821';

/** Opens the login page of a service, or of Propusk's own home when clientId is undefined. */
export async function loginPage(b: IssuerBrowser, origin: string, clientId: string | undefined, extra: Record<string, string> = {}): Promise<Hop> {
  const page = clientId === undefined ? await b.follow(`${origin}/login`) : await b.follow(authorizationUrl(origin, clientId, extra));
  assert.equal(page.status, 200, `login page: ${page.status} ${page.body.slice(0, 300)}`);
  assert.match(page.body, /name="password"/);
  return page;
}

export async function signIn(b: IssuerBrowser, page: Hop, login: string, headers?: Record<string, string>): Promise<Hop> {
  return b.submit(page, { login, password: DEMO_PASSWORD }, headers);
}

/** Signs the teacher-parent in at Библиотека and returns the role chooser. */
export async function roleChooser(b: IssuerBrowser, origin: string): Promise<Hop> {
  const chooser = await signIn(b, await loginPage(b, origin, 'biblioteka'), LOGINS.teacherParent);
  assert.equal(chooser.status, 200, `role chooser: ${chooser.status} ${chooser.location ?? ''}`);
  assert.match(chooser.body, /name="role"/);
  return chooser;
}

/** Signs the student-only person in at Журнал and returns the unavailable page. */
export async function unavailablePage(b: IssuerBrowser, origin: string): Promise<Hop> {
  const page = await signIn(b, await loginPage(b, origin, 'zhurnal'), LOGINS.studentOnly);
  assert.equal(page.status, 403, `unavailable page: ${page.status}`);
  return page;
}

/** Propusk's home page, signed in as the teacher-parent with the first offered role. */
export async function signedInHome(b: IssuerBrowser, origin: string): Promise<Hop> {
  const chooser = await signIn(b, await loginPage(b, origin, undefined), LOGINS.teacherParent);
  const role = /name="role" value="([^"]+)"/.exec(chooser.body)?.[1];
  assert.ok(role !== undefined, `no role button: ${chooser.status} ${chooser.body.slice(0, 300)}`);
  const home = await b.submit(chooser, { role });
  assert.equal(home.status, 200, `home: ${home.status}`);
  assert.match(home.body, /name="csrf"/);
  return home;
}

/** Signs the staff-only person in through the home page and opens the password change form. */
export async function passwordPage(b: IssuerBrowser, origin: string): Promise<Hop> {
  const home = await signIn(b, await loginPage(b, origin, undefined), LOGINS.staffOnly);
  assert.equal(home.status, 200, `home: ${home.status}`);
  const page = await b.follow(`${origin}/password`);
  assert.equal(page.status, 200, `password page: ${page.status}`);
  assert.match(page.body, /name="new_password"/);
  return page;
}

/** oidc-provider's logout confirmation (rendered by Propusk's logoutSource) for a signed-in browser. */
export async function logoutPage(b: IssuerBrowser, origin: string): Promise<Hop> {
  const page = await b.follow(`${origin}/oidc/session/end`);
  assert.equal(page.status, 200, `logout page: ${page.status}`);
  assert.match(page.body, /name="xsrf"/);
  return page;
}

export { DEMO_PASSWORD };
