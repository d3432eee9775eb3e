// Single sign-on into several demo services with one browser, and logout,
// for the back-channel logout tests. The demo services are registered with
// their URLs moved to the test receiver's origin (startPropusk's rpBase).
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../../src/storage/schema.js';
import { formField, TestBrowser } from './browser.js';
import { authorizationRequest, callbackUrl, client, passwordLogin, redeem, relyingParty, type RelyingParty } from './oidc-flow.js';

const DEMO_RP_BASE = 'http://localhost:3001';

export type TokenResponse = Awaited<ReturnType<typeof redeem>>;

/** The demo service `clientId` as a relying party whose URIs live at `rpBase`. */
export async function serviceAt(issuer: string, rpBase: string, clientId: string): Promise<RelyingParty> {
  const rp = await relyingParty(issuer, clientId);
  return {
    ...rp,
    redirectUri: rp.redirectUri.replace(DEMO_RP_BASE, rpBase),
    postLogoutRedirectUri: rp.postLogoutRedirectUri.replace(DEMO_RP_BASE, rpBase),
  };
}

/** Sign in with a password at the first service, then open the others through the SSO session. */
export async function signInTo(issuer: string, services: RelyingParty[], login: string) {
  const [first, ...others] = services;
  assert.ok(first !== undefined);
  const { tokens, browser } = await passwordLogin(issuer, first, login);
  const byClient = new Map<string, TokenResponse>([[first.clientId, tokens]]);
  for (const service of others) {
    byClient.set(service.clientId, await openWithSession(browser, service));
  }
  return { browser, tokens: byClient };
}

/** Open a service in a browser that already has a Propusk session: no password, no question. */
export async function openWithSession(browser: TestBrowser, service: RelyingParty): Promise<TokenResponse> {
  const auth = await authorizationRequest(service);
  const hop = await browser.follow(auth.url.toString());
  return redeem(service, callbackUrl(hop, service), auth);
}

/** RP-initiated logout from `service`, confirming the logout of the whole session. */
export async function logOut(browser: TestBrowser, service: RelyingParty, idToken: string): Promise<void> {
  const endSession = client.buildEndSessionUrl(service.config, {
    id_token_hint: idToken,
    post_logout_redirect_uri: service.postLogoutRedirectUri,
  });
  const confirm = await browser.follow(endSession.toString());
  assert.equal(confirm.status, 200);
  const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
  assert.ok(action !== undefined, 'no logout form');
  const done = await browser.follow(action, { form: { xsrf: formField(confirm.body, 'xsrf'), logout: 'yes' } });
  assert.equal(done.status, 303);
  assert.ok(done.location?.startsWith(service.postLogoutRedirectUri), `redirected to ${done.location}`);
}

/** The queue rows, oldest first. */
export function queueRows(db: Kysely<DatabaseSchema>) {
  return db.selectFrom('backchannel_logouts').selectAll().orderBy('id').execute();
}

/** Wait until `predicate` holds for the queue rows. */
export async function waitForQueue(
  db: Kysely<DatabaseSchema>,
  predicate: (rows: Awaited<ReturnType<typeof queueRows>>) => boolean,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await queueRows(db);
    if (predicate(rows)) return rows;
    assert.ok(Date.now() < deadline, `queue never reached the expected state: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
