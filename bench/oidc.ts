// The relying-party side of the scenarios: authorization requests with PKCE
// and state, calls of the token, userinfo and introspection endpoints, and
// checks of their responses. Any unexpected response throws, so the load
// generator counts it as an error.
import { createHash, randomBytes } from 'node:crypto';
import type { BenchClient } from './dataset.js';
import type { HttpResponse, HttpTarget } from './http.js';

/** Endpoint paths, the same in Propusk and in the bare provider. */
export const PATHS = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/me',
  introspection: '/oidc/token/introspection',
  jwks: '/oidc/jwks',
} as const;

/** Scopes that a school service requests. */
export const SCOPE = 'openid profile roles';

export interface AuthorizationRequest {
  path: string;
  state: string;
  verifier: string;
}

const randomToken = () => randomBytes(32).toString('base64url');

/** Build an authorization request with PKCE S256 (RFC 7636) and a random state. */
export function authorizationRequest(client: BenchClient, redirectUri: string): AuthorizationRequest {
  const verifier = randomToken();
  const state = randomToken();
  const query = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    scope: SCOPE,
    redirect_uri: redirectUri,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  return { path: `${PATHS.authorization}?${query}`, state, verifier };
}

/** Return the code of an authorization response after checking its redirect URI and state. */
export function codeFromCallback(location: string, redirectUri: string, request: AuthorizationRequest): string {
  const url = new URL(location);
  if (`${url.origin}${url.pathname}` !== redirectUri) {
    throw new Error(`redirected to ${url.origin}${url.pathname}, expected the redirect URI`);
  }
  const error = url.searchParams.get('error');
  if (error !== null) {
    throw new Error(`authorization error ${error}: ${url.searchParams.get('error_description') ?? ''}`);
  }
  if (url.searchParams.get('state') !== request.state) {
    throw new Error('authorization response has another state');
  }
  const code = url.searchParams.get('code');
  if (code === null || code === '') {
    throw new Error('authorization response has no code');
  }
  return code;
}

/** HTTP Basic client authentication (RFC 6749, section 2.3.1: both parts form-encoded first). */
export function basicAuthorization(client: BenchClient): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64')}`;
}

function parseJson(response: HttpResponse, what: string): Record<string, unknown> {
  if (response.status !== 200) {
    throw new Error(`${what} returned ${response.status}: ${response.body.slice(0, 200)}`);
  }
  try {
    return JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    throw new Error(`${what} returned a body that is not JSON: ${response.body.slice(0, 200)}`);
  }
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
}

function requireString(body: Record<string, unknown>, name: string, what: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${what} response has no ${name}`);
  }
  return value;
}

/** Decode the payload of a JWT without verifying the signature, because the checks here are about the content. */
function jwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (part === undefined) throw new Error('the ID token is not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * POST to the token endpoint with client authentication. `expect` names the
 * tokens the response must have, and an ID token must be for this client.
 */
export async function requestTokens(
  target: HttpTarget,
  client: BenchClient,
  form: Record<string, string>,
  expect: { refreshToken: boolean; idToken: boolean },
): Promise<TokenSet> {
  const response = await target.request(PATHS.token, { form, headers: { authorization: basicAuthorization(client) } });
  const what = `token endpoint (${form.grant_type ?? ''})`;
  const body = parseJson(response, what);
  if (body.token_type !== 'Bearer') {
    throw new Error(`${what} response has token_type ${String(body.token_type)}`);
  }
  const tokens: TokenSet = { accessToken: requireString(body, 'access_token', what) };
  if (expect.refreshToken) tokens.refreshToken = requireString(body, 'refresh_token', what);
  if (expect.idToken) {
    tokens.idToken = requireString(body, 'id_token', what);
    const claims = jwtPayload(tokens.idToken);
    if (claims.aud !== client.clientId || typeof claims.sub !== 'string') {
      throw new Error(`${what}: the ID token is for ${String(claims.aud)}, expected ${client.clientId}`);
    }
  }
  return tokens;
}

export async function callUserinfo(target: HttpTarget, accessToken: string): Promise<void> {
  const response = await target.request(PATHS.userinfo, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = parseJson(response, 'userinfo');
  if (typeof body.sub !== 'string') throw new Error('userinfo response has no sub');
}

/** Introspect an access token as a resource server does: with token_type_hint, so the server skips the refresh token lookup. */
export async function introspect(target: HttpTarget, client: BenchClient, token: string): Promise<void> {
  const response = await target.request(PATHS.introspection, { form: { token, token_type_hint: 'access_token' }, headers: { authorization: basicAuthorization(client) } });
  const body = parseJson(response, 'introspection');
  if (body.active !== true || body.client_id !== client.clientId) {
    throw new Error(`introspection returned active=${String(body.active)} client_id=${String(body.client_id)}`);
  }
}

export async function fetchJwks(target: HttpTarget): Promise<void> {
  const body = parseJson(await target.request(PATHS.jwks), 'JWKS');
  if (!Array.isArray(body.keys) || body.keys.length === 0) throw new Error('JWKS response has no keys');
}
