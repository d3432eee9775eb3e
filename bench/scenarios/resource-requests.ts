// Single requests with a token obtained in the set-up: userinfo, introspection, and the key set.
import { callUserinfo, fetchJwks, introspect } from '../oidc.js';
import { signInUsers, type Scenario } from './scenario.js';

export const USERINFO_STEP = 'GET /oidc/me';
export const INTROSPECTION_STEP = 'POST /oidc/token/introspection';
export const JWKS_STEP = 'GET /oidc/jwks';

export const userinfo: Scenario = {
  name: 'userinfo',
  title: 'userinfo with a Bearer access token',
  unit: 'requests',
  concurrency: 32,
  needsLoginForm: false,
  async prepare(target, users) {
    const accessTokens = (await signInUsers(target, users)).map(({ tokens }) => tokens.accessToken);
    return async (user, timer) => {
      await timer.time(USERINFO_STEP, () => callUserinfo(target.http, accessTokens[user] as string));
    };
  },
};

export const introspection: Scenario = {
  name: 'introspection',
  title: 'introspection of an access token (token_type_hint=access_token) by the service it was issued to',
  unit: 'requests',
  concurrency: 32,
  needsLoginForm: false,
  async prepare(target, users) {
    const accessTokens = (await signInUsers(target, users)).map(({ tokens }) => tokens.accessToken);
    return async (user, timer) => {
      await timer.time(INTROSPECTION_STEP, () => introspect(target.http, target.web, accessTokens[user] as string));
    };
  },
};

export const jwks: Scenario = {
  name: 'jwks',
  title: 'JWKS (the public signing keys)',
  unit: 'requests',
  concurrency: 32,
  needsLoginForm: false,
  async prepare(target) {
    return async (_user, timer) => {
      await timer.time(JWKS_STEP, () => fetchJwks(target.http));
    };
  },
};
