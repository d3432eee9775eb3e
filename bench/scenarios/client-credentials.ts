import { STEPS } from '../browser-flow.js';
import { requestTokens } from '../oidc.js';
import type { Scenario } from './scenario.js';

export const clientCredentials: Scenario = {
  name: 'client-credentials',
  title: 'client credentials grant (HTTP Basic client authentication)',
  unit: 'grants',
  concurrency: 16,
  needsLoginForm: false,
  async prepare(target) {
    const form = { grant_type: 'client_credentials' };
    return async (_user, timer) => {
      await timer.time(STEPS.token, () => requestTokens(target.http, target.machine, form, { refreshToken: false, idToken: false }));
    };
  },
};
