import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { createPostgresSchema } from './helpers/databases.js';
import {
  authorizationRequest,
  callbackUrl,
  client,
  DEMO_PASSWORD,
  passwordLogin,
  redeem,
  relyingParty,
  submitLogin,
  type RelyingParty,
} from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

/** Settle every promise and count fulfilled ones and OAuth error codes of the rejected ones. */
async function outcomes(promises: Array<Promise<unknown>>): Promise<{ fulfilled: number; errors: string[] }> {
  const settled = await Promise.allSettled(promises);
  return {
    fulfilled: settled.filter((result) => result.status === 'fulfilled').length,
    errors: settled.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as { error?: string }).error ?? result.reason)] : [])),
  };
}

describe('the protocol on PostgreSQL', await serviceGate(postgresAvailable), () => {
  let propusk: RunningPropusk;
  let schema: { url: string; drop(): Promise<void> };
  let dnevnik: RelyingParty;
  let zhurnal: RelyingParty;

  before(async () => {
    schema = await createPostgresSchema();
    propusk = await startPropusk({ databaseUrl: schema.url });
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    zhurnal = await relyingParty(propusk.issuer, 'zhurnal');
  });
  after(async () => {
    await propusk?.stop();
    await schema?.drop();
  });

  test('login, single sign-on, refresh and logout', async () => {
    const { tokens, browser } = await passwordLogin(propusk.issuer, dnevnik, 'ivanova@example.ru');
    assert.equal((tokens.claims()?.role as { kind: string }).kind, 'parent');

    const auth = await authorizationRequest(zhurnal);
    const sso = await redeem(zhurnal, callbackUrl(await browser.follow(auth.url.toString()), zhurnal), auth);
    assert.equal((sso.claims()?.role as { kind: string }).kind, 'teacher');

    const rotated = await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
    assert.ok(rotated.refresh_token !== tokens.refresh_token);

    const endSession = client.buildEndSessionUrl(dnevnik.config, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: dnevnik.postLogoutRedirectUri });
    const confirm = await browser.follow(endSession.toString());
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1] as string;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1] as string;
    await browser.follow(action, { form: { xsrf, logout: 'yes' } });
    const silent = await authorizationRequest(dnevnik, { prompt: 'none' });
    assert.equal(callbackUrl(await browser.follow(silent.url.toString()), dnevnik).searchParams.get('error'), 'login_required');
  });

  test('values with a NUL character find nothing instead of failing', async () => {
    // PostgreSQL text cannot contain NUL, and a form value decoded from %00 must not reach it as a parameter.
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, 'ivanova@example.ru');
    const introspected = await client.tokenIntrospection(dnevnik.config, `${tokens.access_token}\u0000`, { token_type_hint: 'access_token' });
    assert.equal(introspected.active, false);
    await assert.rejects(client.refreshTokenGrant(dnevnik.config, `${tokens.refresh_token as string}\u0000`), (error: { error?: string }) => error.error === 'invalid_grant');

    const auth = new URL(`${propusk.issuer}/oidc/auth`);
    auth.searchParams.set('client_id', 'dnevnik\u0000');
    auth.searchParams.set('response_type', 'code');
    auth.searchParams.set('scope', 'openid');
    const page = await fetch(auth, { redirect: 'manual' });
    assert.equal(page.status, 400, 'an unknown client, not a server error');
  });

  test('parallel redemptions of one code: exactly one wins, the rest get invalid_grant', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik);
    const page = await browser.follow(auth.url.toString());
    const callback = callbackUrl(await submitLogin(browser, page, '+79160000001', DEMO_PASSWORD), dnevnik);
    const result = await outcomes(Array.from({ length: 12 }, () => redeem(dnevnik, callback, auth)));
    assert.equal(result.fulfilled, 1);
    assert.deepEqual([...new Set(result.errors)], ['invalid_grant']);
  });

  test('parallel use of one refresh token: at most one wins, no server error', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const result = await outcomes(Array.from({ length: 12 }, () => client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string)));
    assert.ok(result.fulfilled <= 1, `${result.fulfilled} refreshes succeeded`);
    assert.deepEqual([...new Set(result.errors)], ['invalid_grant']);
  });
});
