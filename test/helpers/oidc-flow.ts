import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { DEMO_DATA } from './propusk-server.js';
import { formAction, formField, roleOptions, TestBrowser, type Hop } from './browser.js';

export const DEMO_PASSWORD = (() => {
  const password = DEMO_DATA.people.find((person) => person.initial_password !== undefined)?.initial_password;
  assert.ok(password !== undefined, 'demo data has no initial password');
  return password;
})();

export function demoPerson(predicate: (person: (typeof DEMO_DATA.people)[number]) => boolean) {
  const person = DEMO_DATA.people.find(predicate);
  assert.ok(person !== undefined, 'demo person not found');
  return person;
}

export function serviceSecret(clientId: string): { secret: string; redirectUri: string; postLogoutRedirectUri: string } {
  const service = DEMO_DATA.services.find((s) => s.client_id === clientId);
  assert.ok(service !== undefined, `no demo service ${clientId}`);
  return {
    secret: service.client_secret,
    redirectUri: service.redirect_uris[0] as string,
    postLogoutRedirectUri: service.post_logout_redirect_uris[0] as string,
  };
}

/** A relying party built with openid-client, as a school service would build it. */
export async function relyingParty(issuer: string, clientId: string) {
  const { secret, redirectUri, postLogoutRedirectUri } = serviceSecret(clientId);
  const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(secret), {
    execute: [client.allowInsecureRequests],
  });
  return { config, redirectUri, postLogoutRedirectUri, clientId };
}

export type RelyingParty = Awaited<ReturnType<typeof relyingParty>>;

export interface Authorization {
  url: URL;
  verifier: string;
  state: string;
}

export async function authorizationRequest(rp: RelyingParty, extra: Record<string, string> = {}): Promise<Authorization> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid profile email phone roles',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return { url, verifier, state };
}

export async function submitLogin(browser: TestBrowser, page: Hop, login: string, password: string, extra: Record<string, string> = {}): Promise<Hop> {
  return browser.follow(formAction(page.body), { form: { csrf: formField(page.body, 'csrf'), login, password, ...extra } });
}

export async function chooseRole(browser: TestBrowser, page: Hop, labelPart: string): Promise<Hop> {
  const option = roleOptions(page.body).find((role) => role.label.includes(labelPart));
  assert.ok(option !== undefined, `no role option with «${labelPart}» in ${JSON.stringify(roleOptions(page.body))}`);
  return browser.follow(formAction(page.body), { form: { csrf: formField(page.body, 'csrf'), role: option.id } });
}

/** The hop must be a redirect to the service's redirect_uri; return that URL. */
export function callbackUrl(hop: Hop, rp: RelyingParty): URL {
  assert.equal(hop.status, 303, `expected a redirect to the service, got ${hop.status}: ${hop.body.slice(0, 500)}`);
  assert.ok(hop.location?.startsWith(rp.redirectUri), `redirected to ${hop.location}`);
  return new URL(hop.location as string);
}

export async function redeem(rp: RelyingParty, callback: URL, auth: Authorization) {
  return client.authorizationCodeGrant(rp.config, callback, {
    pkceCodeVerifier: auth.verifier,
    expectedState: auth.state,
    idTokenExpected: true,
  });
}

/** Full password login in a fresh browser: returns the tokens and the browser (now holding the SSO session). */
export async function passwordLogin(issuer: string, rp: RelyingParty, login: string, options: { role?: string; browser?: TestBrowser } = {}) {
  const browser = options.browser ?? new TestBrowser(issuer);
  const auth = await authorizationRequest(rp);
  const loginPage = await browser.follow(auth.url.toString());
  assert.equal(loginPage.status, 200);
  assert.match(loginPage.body, /Телефон, электронная почта или СНИЛС/);
  let hop = await submitLogin(browser, loginPage, login, DEMO_PASSWORD);
  if (options.role !== undefined) {
    assert.equal(hop.status, 200, `expected the role chooser, got ${hop.status} ${hop.location ?? ''}`);
    assert.match(hop.body, /Выберите роль/);
    hop = await chooseRole(browser, hop, options.role);
  }
  const tokens = await redeem(rp, callbackUrl(hop, rp), auth);
  return { tokens, browser };
}

export { client };
