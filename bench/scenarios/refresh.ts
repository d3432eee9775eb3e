import { STEPS } from '../browser-flow.js';
import { requestTokens } from '../oidc.js';
import { signInUsers, type Scenario } from './scenario.js';

/** Refresh grant with rotation: each response has a new refresh token, which the next iteration uses. */
export const refreshGrant: Scenario = {
  name: 'refresh',
  title: 'refresh grant (rotating refresh token; new access and ID token)',
  unit: 'grants',
  concurrency: 16,
  needsLoginForm: false,
  async prepare(target, users) {
    const refreshTokens = (await signInUsers(target, users)).map(({ tokens }) => tokens.refreshToken as string);
    return async (user, timer) => {
      const form = { grant_type: 'refresh_token', refresh_token: refreshTokens[user] as string };
      const tokens = await timer.time(STEPS.token, () => requestTokens(target.http, target.web, form, { refreshToken: true, idToken: true }));
      refreshTokens[user] = tokens.refreshToken as string;
    };
  },
};
