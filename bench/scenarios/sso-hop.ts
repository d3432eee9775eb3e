import { Browser } from '../http.js';
import { signIn, signInUsers, type Scenario } from './scenario.js';

/** A browser with a session: authorize → code (no form) → token. */
export const ssoHop: Scenario = {
  name: 'sso-hop',
  title: 'SSO hop with an existing session: authorize with the session cookie → code → token',
  unit: 'hops',
  concurrency: 16,
  needsLoginForm: false,
  async prepare(target, users) {
    const signedIn = await signInUsers(target, users);
    return async (user, timer) => {
      const { browser } = signedIn[user] as { browser: Browser };
      // No person: a login form here would mean the session was lost, which is an error.
      await signIn(target, browser, timer, undefined);
    };
  },
};
