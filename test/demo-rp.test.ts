// Drives the demo relying party against a small real oidc-provider whose
// interaction route signs in one fixed account without a form.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import Provider from 'oidc-provider';
import { pino } from 'pino';
import { startDemoRelyingParty, type DemoService } from '../src/demo/relying-party/server.js';

const dnevnik: DemoService = { clientId: 'dnevnik', clientSecret: 'dnevnik-secret-for-tests-only', displayName: 'Дневник', displayNameEn: 'Diary', path: 'dnevnik' };
const zhurnal: DemoService = { ...dnevnik, clientId: 'zhurnal', displayName: 'Журнал', displayNameEn: 'Gradebook', path: 'zhurnal' };
const role = { id: 'r1', kind: 'student', label: 'Ученик <b>школы</b>', organization: { id: 'o1', name: 'Школа №1' } };

const providerServer = createServer();
let issuer = '';
let rp: { url: string; close(): Promise<void> };

async function autoLogin(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const grant = new provider.Grant({ accountId: 'pupil-1', clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  const result = { login: { accountId: 'pupil-1' }, consent: { grantId } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

before(async () => {
  providerServer.listen(0, '127.0.0.1');
  await once(providerServer, 'listening');
  const address = providerServer.address();
  assert.ok(address !== null);
  assert.ok(typeof address === 'object');
  issuer = `http://127.0.0.1:${address.port}`;
  // Propusk may start after the relying party, so the relying party starts first here too.
  rp = await startDemoRelyingParty({ issuer, port: 0, host: '127.0.0.1', services: [dnevnik, zhurnal], logger: pino({ level: 'silent' }) });

  const provider = new Provider(issuer, {
    clients: [{
      client_id: dnevnik.clientId, client_secret: dnevnik.clientSecret, token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [`${rp.url}/dnevnik/callback`], post_logout_redirect_uris: [`${rp.url}/dnevnik/`],
    }],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'], phone: ['phone_number'], roles: ['role', 'roles'] },
    conformIdTokenClaims: false,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['cookie-key-for-tests-only'] },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, name: 'Ива <Иванова>', role, roles: [role] }) }),
  });
  const callback = provider.callback();
  providerServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/') === true) void autoLogin(provider, req, res);
    else void callback(req, res);
  });
});

after(async () => {
  await rp.close();
  providerServer.close();
});

// Both servers share the host 127.0.0.1, and browsers ignore ports when matching cookies, so one jar is enough.
const jar = new Map<string, string>();

async function send(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const cookie of response.headers.getSetCookie()) {
    const [pair = ''] = cookie.split(';');
    const [name = '', value = ''] = pair.split(/=(.*)/s);
    if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(cookie)) jar.delete(name);
    else jar.set(name, value);
  }
  return response;
}

/** Follows redirects from `url` and returns the first location that starts with `prefix`. */
async function followUntil(url: string, prefix: string): Promise<URL> {
  let next = url;
  for (let hop = 0; hop < 10; hop += 1) {
    const response = await send(next);
    const location = response.headers.get('location');
    assert.ok(location !== null, `expected a redirect from ${next}, got ${response.status}: ${await response.text()}`);
    next = new URL(location, next).href;
    if (next.startsWith(prefix)) return new URL(next);
  }
  throw new Error(`no redirect to ${prefix} within 10 hops`);
}

function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return send(url, { method: 'POST', body: new URLSearchParams(fields) });
}

test('login redirect carries PKCE, state, nonce', async () => {
  const response = await send(`${rp.url}/dnevnik/login`);
  assert.equal(response.status, 303);
  const authorization = new URL(response.headers.get('location') ?? '');
  const params = authorization.searchParams;
  assert.equal(authorization.origin, issuer);
  assert.equal(params.get('client_id'), 'dnevnik');
  assert.equal(params.get('response_type'), 'code');
  assert.equal(params.get('redirect_uri'), `${rp.url}/dnevnik/callback`);
  assert.equal(params.get('scope'), 'openid profile email phone roles');
  assert.equal(params.get('code_challenge_method'), 'S256');
  assert.match(params.get('code_challenge') ?? '', /^[\w-]{43}$/);
  assert.ok((params.get('state') ?? '').length >= 32);
  assert.ok((params.get('nonce') ?? '').length >= 32);
  assert.equal(params.get('prompt'), null);
  assert.match(response.headers.get('set-cookie') ?? '', /^propusk_demo_rp=[\w-]+; Path=\/dnevnik\/; HttpOnly; SameSite=Lax$/);

  const switchRole = await send(`${rp.url}/dnevnik/switch-role`);
  assert.equal(new URL(switchRole.headers.get('location') ?? '').searchParams.get('prompt'), 'select_account');
});

test('callback error page escapes output', async () => {
  const start = await send(`${rp.url}/dnevnik/login`);
  const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
  const query = new URLSearchParams({ error: 'access_denied', error_description: '<script>x</script>', state, iss: issuer });
  const response = await send(`${rp.url}/dnevnik/callback?${query}`);
  const page = await response.text();
  assert.equal(response.status, 400);
  assert.match(page, /Вход отменён или доступ запрещён/);
  assert.match(page, /<code>access_denied<\/code>/);
  assert.match(page, /&lt;script&gt;x&lt;\/script&gt;/);
  assert.doesNotMatch(page, /<script>/);
});

test('full sign-in, refresh and logout', async () => {
  const callback = await followUntil(`${rp.url}/dnevnik/login`, `${rp.url}/dnevnik/callback`);
  const afterCallback = await send(callback.href);
  assert.equal(afterCallback.status, 303);
  assert.equal(afterCallback.headers.get('location'), '/dnevnik/');

  const page = await (await send(`${rp.url}/dnevnik/`)).text();
  assert.match(page, /Ива &lt;Иванова&gt;/);
  assert.match(page, /Ученик &lt;b&gt;школы&lt;\/b&gt;/);
  assert.doesNotMatch(page, /<b>школы/);
  assert.match(page, /&quot;sub&quot;: &quot;pupil-1&quot;/);
  assert.match(page, /href="\/zhurnal\/login"/);
  const csrf = /name="csrf" value="([\w-]+)"/.exec(page)?.[1] ?? '';
  assert.notEqual(csrf, '');

  const forged = await postForm(`${rp.url}/dnevnik/refresh`, { csrf: 'wrong' });
  assert.equal(forged.status, 403);
  const missing = await postForm(`${rp.url}/dnevnik/logout`, {});
  assert.equal(missing.status, 403);

  const refresh = await postForm(`${rp.url}/dnevnik/refresh`, { csrf });
  assert.equal(refresh.status, 303);
  assert.match(await (await send(`${rp.url}/dnevnik/`)).text(), /Токены обновлены/);

  const logout = await postForm(`${rp.url}/dnevnik/logout`, { csrf });
  assert.equal(logout.status, 303);
  const endSession = new URL(logout.headers.get('location') ?? '');
  assert.equal(`${endSession.origin}${endSession.pathname}`, `${issuer}/session/end`);
  assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${rp.url}/dnevnik/`);
  assert.ok((endSession.searchParams.get('id_token_hint') ?? '').split('.').length === 3);
  assert.match(await (await send(`${rp.url}/dnevnik/`)).text(), /Войти через Пропуск/);
});
