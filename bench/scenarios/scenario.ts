// The scenario interface, and the sign-in that several scenarios need before
// their measured requests.
import { authorize, OverloadedError, STEPS } from '../browser-flow.js';
import type { BenchPerson } from '../dataset.js';
import { Browser } from '../http.js';
import type { Iteration, StepTimer } from '../load.js';
import { requestTokens, type TokenSet } from '../oidc.js';
import type { BenchTarget } from '../target.js';

export type ScenarioName = 'password-login' | 'sso-hop' | 'refresh' | 'client-credentials' | 'userinfo' | 'introspection' | 'jwks' | 'trivial-request';

export interface Scenario {
  name: ScenarioName;
  /** One line for the report: the requests of one iteration. */
  title: string;
  /** Plural noun for one completed iteration, such as "logins" or "requests". */
  unit: string;
  /** Virtual users by default: enough to keep both cores busy without queueing for long. */
  concurrency: number;
  /** True when an iteration fills in Propusk's login form, which the bare provider does not have. */
  needsLoginForm: boolean;
  /** Prepare `users` virtual users (sessions, tokens) and return one iteration. */
  prepare(target: BenchTarget, users: number): Promise<Iteration>;
}

/** A timer for set-up requests, which are not measured. */
export const UNTIMED: StepTimer = { time: (_step, run) => run() };

/** Return the person a virtual user signs in as. Several users share a person when there are more users than people. */
export function personFor(target: BenchTarget, user: number): BenchPerson | undefined {
  return target.people.length === 0 ? undefined : target.people[user % target.people.length];
}

/** Run an authorization request in `browser`, signing in when needed, and redeem the code. */
export async function signIn(target: BenchTarget, browser: Browser, timer: StepTimer, person: BenchPerson | undefined): Promise<TokenSet> {
  const { code, request } = await authorize(browser, target.web, target.redirectUri, timer, person);
  const form = { grant_type: 'authorization_code', code, redirect_uri: target.redirectUri, code_verifier: request.verifier };
  return timer.time(STEPS.token, () => requestTokens(target.http, target.web, form, { refreshToken: true, idToken: true }));
}

/** Sign-ins run this many at a time in the set-up, so they stay within the server's password hash queue. */
const SET_UP_PARALLELISM = 4;
const SET_UP_ATTEMPTS = 10;

async function signInWithRetry(target: BenchTarget, user: number): Promise<{ browser: Browser; tokens: TokenSet }> {
  for (let attempt = 1; ; attempt += 1) {
    const browser = new Browser(target.http);
    try {
      return { browser, tokens: await signIn(target, browser, UNTIMED, personFor(target, user)) };
    } catch (error) {
      if (!(error instanceof OverloadedError) || attempt === SET_UP_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, error.retryAfterSeconds * 1000));
    }
  }
}

/** Sign in one browser per virtual user and return the browsers with their tokens. */
export async function signInUsers(target: BenchTarget, users: number): Promise<Array<{ browser: Browser; tokens: TokenSet }>> {
  const signedIn: Array<{ browser: Browser; tokens: TokenSet }> = [];
  for (let first = 0; first < users; first += SET_UP_PARALLELISM) {
    const batch = Array.from({ length: Math.min(SET_UP_PARALLELISM, users - first) }, (_, index) => signInWithRetry(target, first + index));
    signedIn.push(...(await Promise.all(batch)));
  }
  return signedIn;
}
