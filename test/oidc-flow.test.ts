import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formField, TestBrowser } from './helpers/browser.js';
import {
  authorizationRequest,
  callbackUrl,
  chooseRole,
  client,
  demoPerson,
  DEMO_PASSWORD,
  passwordLogin,
  redeem,
  relyingParty,
  submitLogin,
  type RelyingParty,
} from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/** Matcher for openid-client's ResponseBodyError with a given OAuth error code. */
function oauthError(code: string) {
  return (error: unknown) => {
    assert.equal((error as { error?: string }).error, code);
    return true;
  };
}

const teacherParent = demoPerson((p) => p.email === 'ivanova@example.ru');

describe('OpenID Provider over HTTP with openid-client', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let zhurnal: RelyingParty;
  let biblioteka: RelyingParty;

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    zhurnal = await relyingParty(propusk.issuer, 'zhurnal');
    biblioteka = await relyingParty(propusk.issuer, 'biblioteka');
  });
  after(async () => propusk.stop());

  test('discovery offers only the code flow with S256', () => {
    const metadata = dnevnik.config.serverMetadata();
    assert.equal(metadata.issuer, propusk.issuer);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.ok(!metadata.grant_types_supported?.includes('implicit'));
    assert.ok(!metadata.grant_types_supported?.includes('password'));
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    assert.ok(metadata.scopes_supported?.includes('roles'));
    assert.ok(metadata.claims_supported?.includes('role'));
  });

  test('login by phone to Дневник gives the parent role without a question', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, '8 (916) 000-00-01');
    const claims = tokens.claims();
    assert.ok(claims !== undefined);
    assert.equal(claims.family_name, 'Иванова');
    assert.equal(claims.phone_number, '+79160000001');
    const role = claims.role as { kind: string; children?: Array<{ name: string }> };
    assert.equal(role.kind, 'parent');
    assert.ok((role.children ?? []).length > 0, 'parent role lists the children');
    assert.deepEqual((claims.roles as Array<{ kind: string }>).map((r) => r.kind), ['parent']);
    assert.ok(tokens.refresh_token !== undefined, 'a pre-approved service with refresh_token gets one');
  });

  test('login by e-mail in another case and by СНИЛС', async () => {
    const byEmail = await passwordLogin(propusk.issuer, zhurnal, 'IVANOVA@Example.RU');
    assert.equal((byEmail.tokens.claims()?.role as { kind: string }).kind, 'teacher');
    assert.ok(teacherParent.snils !== undefined);
    const digitsOnly = teacherParent.snils.replace(/\D/g, '');
    const bySnils = await passwordLogin(propusk.issuer, zhurnal, digitsOnly);
    assert.equal(bySnils.tokens.claims()?.sub, byEmail.tokens.claims()?.sub);
  });

  test('authorization response carries iss', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik);
    const page = await browser.follow(auth.url.toString());
    const hop = await submitLogin(browser, page, 'ivanova@example.ru', DEMO_PASSWORD);
    assert.equal(callbackUrl(hop, dnevnik).searchParams.get('iss'), propusk.issuer);
  });

  test('a service that accepts two roles asks, and single sign-on then skips the password', async () => {
    const { tokens, browser } = await passwordLogin(propusk.issuer, biblioteka, '+79160000001', { role: 'Учитель' });
    assert.equal((tokens.claims()?.role as { kind: string }).kind, 'teacher');
    assert.equal((tokens.claims()?.roles as unknown[]).length, 2);

    // Журнал: no password, no question (one accepted role).
    const auth = await authorizationRequest(zhurnal);
    const hop = await browser.follow(auth.url.toString());
    const sso = await redeem(zhurnal, callbackUrl(hop, zhurnal), auth);
    assert.equal((sso.claims()?.role as { kind: string }).kind, 'teacher');
    assert.equal(sso.claims()?.sub, tokens.claims()?.sub);
  });

  test('prompt=select_account switches role without a password and ends the old grant', async () => {
    const { tokens: first, browser } = await passwordLogin(propusk.issuer, biblioteka, '+79160000001', { role: 'Учитель' });
    const auth = await authorizationRequest(biblioteka, { prompt: 'select_account' });
    const chooser = await browser.follow(auth.url.toString());
    assert.equal(chooser.status, 200);
    assert.match(chooser.body, /Выберите роль/);
    assert.doesNotMatch(chooser.body, /name="password"/);
    const hop = await chooseRole(browser, chooser, 'Родитель');
    const second = await redeem(biblioteka, callbackUrl(hop, biblioteka), auth);
    assert.equal((second.claims()?.role as { kind: string }).kind, 'parent');

    const userinfo = await client.fetchUserInfo(biblioteka.config, second.access_token, second.claims()?.sub as string);
    assert.equal((userinfo.role as { kind: string }).kind, 'parent');
    await assert.rejects(client.refreshTokenGrant(biblioteka.config, first.refresh_token as string), oauthError('invalid_grant'));
  });

  test('prompt=none opens a second service silently', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const auth = await authorizationRequest(zhurnal, { prompt: 'none' });
    const hop = await browser.follow(auth.url.toString());
    const tokens = await redeem(zhurnal, callbackUrl(hop, zhurnal), auth);
    assert.equal((tokens.claims()?.role as { kind: string }).kind, 'teacher');
  });

  test('prompt=none uses the accepted active role', async () => {
    const { browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const auth = await authorizationRequest(biblioteka, { prompt: 'none', scope: 'openid roles' });
    const hop = await browser.follow(auth.url.toString());
    // The session's active role (parent) is accepted by Библиотека, so no question arises.
    assert.ok(callbackUrl(hop, biblioteka).searchParams.get('code'));
    const explicit = await authorizationRequest(biblioteka, { prompt: 'none select_account' });
    const refused = await browser.follow(explicit.url.toString());
    assert.equal(refused.status, 303);
    assert.ok(refused.location?.startsWith(biblioteka.redirectUri) ?? false);
    assert.ok(new URL(refused.location as string).searchParams.get('error'));
  });

  test('another person’s ID token cannot sign this browser out unasked', async () => {
    const victim = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const attacker = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    const forged = client.buildEndSessionUrl(dnevnik.config, {
      id_token_hint: attacker.tokens.id_token as string,
      post_logout_redirect_uri: dnevnik.postLogoutRedirectUri,
    });
    const page = await victim.browser.follow(forged.toString());
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.body, /data-auto-submit/);

    const own = client.buildEndSessionUrl(dnevnik.config, {
      id_token_hint: victim.tokens.id_token as string,
      post_logout_redirect_uri: dnevnik.postLogoutRedirectUri,
    });
    const ownPage = await victim.browser.follow(own.toString());
    assert.match(ownPage.body, /data-auto-submit="true"/);
  });

  test('a service cannot introspect another service’s token', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, biblioteka, '+79160000001', { role: 'Учитель' });
    const foreign = await client.tokenIntrospection(dnevnik.config, tokens.access_token);
    assert.equal(foreign.active, false);
    const own = await client.tokenIntrospection(biblioteka.config, tokens.access_token);
    assert.equal(own.active, true);
  });

  test('prompt=login with a role step asks for the password once', async () => {
    const browser = new TestBrowser(propusk.issuer);
    await passwordLogin(propusk.issuer, dnevnik, '+79160000001', { browser });
    const auth = await authorizationRequest(biblioteka, { prompt: 'login select_account' });
    const page = await browser.follow(auth.url.toString());
    assert.match(page.body, /name="password"/);
    const chooser = await submitLogin(browser, page, '+79160000001', DEMO_PASSWORD);
    assert.match(chooser.body, /Выберите роль/);
    const hop = await chooseRole(browser, chooser, 'Учитель');
    assert.ok(callbackUrl(hop, biblioteka).searchParams.get('code'));
  });

  test('offline_access is not granted, so logout ends refresh tokens', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik, { scope: 'openid roles offline_access', prompt: 'consent' });
    const page = await browser.follow(auth.url.toString());
    const tokens = await redeem(dnevnik, callbackUrl(await submitLogin(browser, page, '+79160000001', DEMO_PASSWORD), dnevnik), auth);
    assert.doesNotMatch(tokens.scope ?? '', /offline_access/);
    const endSession = client.buildEndSessionUrl(dnevnik.config, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: dnevnik.postLogoutRedirectUri });
    const confirm = await browser.follow(endSession.toString());
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1] as string;
    await browser.follow(action, { form: { xsrf: formField(confirm.body, 'xsrf'), logout: 'yes' } });
    await assert.rejects(client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string), oauthError('invalid_grant'));
  });

  test('refresh tokens rotate, and reuse revokes the grant', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const original = tokens.refresh_token as string;
    const rotated = await client.refreshTokenGrant(dnevnik.config, original);
    assert.ok(rotated.refresh_token !== undefined);
    assert.notEqual(rotated.refresh_token, original);
    assert.equal((rotated.claims()?.role as { kind: string }).kind, 'parent');

    await assert.rejects(client.refreshTokenGrant(dnevnik.config, original), oauthError('invalid_grant'));
    await assert.rejects(client.refreshTokenGrant(dnevnik.config, rotated.refresh_token as string), oauthError('invalid_grant'));
  });

  test('logout ends the session: prompt=none then returns login_required', async () => {
    const { tokens, browser } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const endSession = client.buildEndSessionUrl(dnevnik.config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: dnevnik.postLogoutRedirectUri,
    });
    const confirm = await browser.follow(endSession.toString());
    assert.equal(confirm.status, 200);
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
    assert.ok(action !== undefined);
    const done = await browser.follow(action, { form: { xsrf: formField(confirm.body, 'xsrf'), logout: 'yes' } });
    assert.equal(done.status, 303);
    assert.ok(done.location?.startsWith(dnevnik.postLogoutRedirectUri));

    const auth = await authorizationRequest(dnevnik, { prompt: 'none' });
    const hop = await browser.follow(auth.url.toString());
    assert.equal(callbackUrl(hop, dnevnik).searchParams.get('error'), 'login_required');
  });

  test('wrong password and unknown login get the same answer', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik);
    const page = await browser.follow(auth.url.toString());
    const wrong = await submitLogin(browser, page, '+79160000001', 'not-the-password');
    const unknown = await submitLogin(browser, page, '+79169999999', 'not-the-password');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    for (const hop of [wrong, unknown]) {
      assert.match(hop.body, /Неверный логин или пароль/);
      assert.match(hop.body, /role="alert"/);
    }
  });

  test('unknown redirect_uri and unknown client get an error page, never a redirect', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik, { redirect_uri: 'https://attacker.example/callback' });
    const hop = await browser.request(auth.url.toString());
    assert.equal(hop.status, 400);
    assert.equal(hop.location, undefined);
    assert.match(hop.body, /Адрес возврата сервиса не зарегистрирован/);

    const unknownClient = new URL(auth.url);
    unknownClient.searchParams.set('client_id', 'nope');
    unknownClient.searchParams.set('redirect_uri', dnevnik.redirectUri);
    const second = await browser.request(unknownClient.toString());
    assert.equal(second.status, 400);
    assert.equal(second.location, undefined);
    assert.match(second.body, /не зарегистрирован в Пропуске/);
  });

  test('PKCE is required and plain is rejected', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik);
    const withoutChallenge = new URL(auth.url);
    withoutChallenge.searchParams.delete('code_challenge');
    withoutChallenge.searchParams.delete('code_challenge_method');
    const hop = await browser.request(withoutChallenge.toString());
    assert.equal(callbackUrl(hop, dnevnik).searchParams.get('error'), 'invalid_request');

    const plain = new URL(auth.url);
    plain.searchParams.set('code_challenge_method', 'plain');
    const plainHop = await browser.request(plain.toString());
    assert.equal(callbackUrl(plainHop, dnevnik).searchParams.get('error'), 'invalid_request');
  });

  test('a code redeemed with a wrong verifier fails', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik);
    const page = await browser.follow(auth.url.toString());
    const hop = await submitLogin(browser, page, '+79160000001', DEMO_PASSWORD);
    await assert.rejects(redeem(dnevnik, callbackUrl(hop, dnevnik), { ...auth, verifier: client.randomPKCECodeVerifier() }), oauthError('invalid_grant'));
  });

  test('a service for none of the person’s roles shows a page and issues nothing', async () => {
    const student = demoPerson((p) => p.id.includes('student') && p.phone !== undefined);
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(zhurnal);
    const page = await browser.follow(auth.url.toString());
    const hop = await submitLogin(browser, page, student.phone as string, DEMO_PASSWORD);
    assert.equal(hop.status, 403);
    assert.match(hop.body, /Сервис недоступен для ваших ролей/);
    assert.doesNotMatch(hop.body, /code=/);

    const back = await browser.follow(/action="([^"]+abort)"/.exec(hop.body)?.[1] as string, { form: { csrf: formField(hop.body, 'csrf') } });
    const callback = callbackUrl(back, zhurnal);
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('code'), null);
  });

  test('a form without its CSRF token is rejected', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik);
    const page = await browser.follow(auth.url.toString());
    const action = /action="([^"]+)"/.exec(page.body)?.[1] as string;
    const hop = await browser.request(action, { form: { login: '+79160000001', password: DEMO_PASSWORD } });
    assert.equal(hop.status, 403);
  });
});
