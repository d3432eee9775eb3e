import { Browser } from '../http.js';
import { personFor, signIn, type Scenario } from './scenario.js';

/** A new browser each time: authorize → login page → login POST → role step → code → token. */
export const passwordLogin: Scenario = {
  name: 'password-login',
  title: 'full password login: authorize → login form → POST → role step → code → token',
  unit: 'logins',
  // Two users per core keep the hash threads busy while other logins are between requests, and stay
  // well below the expected wait at which the server rejects password checks with 503.
  concurrency: 4,
  needsLoginForm: true,
  async prepare(target, users) {
    if (target.people.length === 0) throw new Error(`${target.label} has no people with passwords`);
    const browsers = Array.from({ length: users }, () => new Browser(target.http));
    let logins = 0;
    return async (user, timer) => {
      const browser = browsers[user] as Browser;
      browser.jar.clear();
      // Round robin over all people, so no one person's records stay hot in a cache.
      logins += 1;
      await signIn(target, browser, timer, personFor(target, logins));
    };
  },
};
