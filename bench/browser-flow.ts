// The browser side of an authorization request: follow the redirects inside
// the server, fill in the login form and the role chooser when they appear,
// and stop at the redirect to the service with the code.
import type { BenchClient, BenchPerson } from './dataset.js';
import { Browser, headerValue, type HttpResponse } from './http.js';
import type { StepTimer } from './load.js';
import { authorizationRequest, codeFromCallback, type AuthorizationRequest } from './oidc.js';

/** Step names in the latency tables and in the latency targets. */
export const STEPS = {
  authorize: 'GET /oidc/auth',
  resume: 'GET /oidc/auth/:uid',
  interaction: 'GET /interaction/:uid',
  loginPost: 'POST /interaction/:uid/login',
  rolePost: 'POST /interaction/:uid/role',
  token: 'POST /oidc/token',
} as const;

/** More hops than this means a redirect loop. */
const MAX_HOPS = 12;

/** Error for a login POST rejected with 503 because the password hash queue was full. Retry after `retryAfterSeconds`. */
export class OverloadedError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`login POST rejected with 503 (password hash queue full), Retry-After ${retryAfterSeconds}`);
  }
}

export interface AuthorizationResult {
  code: string;
  request: AuthorizationRequest;
}

function stepOfGet(path: string): string {
  if (path.startsWith('/interaction/')) return STEPS.interaction;
  return path.startsWith('/oidc/auth/') ? STEPS.resume : STEPS.authorize;
}

function formAction(page: string): string | undefined {
  return /<form method="post" action="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
}

function hiddenField(page: string, name: string): string {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1];
  if (value === undefined) throw new Error(`the page has no ${name} field`);
  return value;
}

function firstRole(page: string): string {
  const role = /<button type="submit" name="role" value="([^"]+)"/.exec(page)?.[1];
  if (role === undefined) throw new Error('the role page has no role button');
  return role;
}

function describePage(response: HttpResponse): string {
  const text = response.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return `${response.status} ${headerValue(response, 'content-type') ?? ''}: ${text.slice(0, 200)}`;
}

/**
 * Run an authorization request in `browser` and return the code. With a
 * `person`, a login form is filled in. Without one, the browser must already
 * have a session, and a login form is an error.
 */
export async function authorize(
  browser: Browser,
  client: BenchClient,
  redirectUri: string,
  timer: StepTimer,
  person?: BenchPerson,
): Promise<AuthorizationResult> {
  const request = authorizationRequest(client, redirectUri);
  let path = request.path;
  let response = await timer.time(STEPS.authorize, () => browser.request(path));

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const location = headerValue(response, 'location');
    if (response.status === 302 || response.status === 303) {
      if (location === undefined) throw new Error(`redirect without Location from ${path}`);
      const next = browser.target.internalPath(location, path);
      if (next === undefined) {
        return { code: codeFromCallback(location, redirectUri, request), request };
      }
      path = next;
      response = await timer.time(stepOfGet(path), () => browser.request(next));
      continue;
    }

    const action = response.status === 200 ? formAction(response.body) : undefined;
    if (action?.endsWith('/login')) {
      if (person === undefined) throw new Error('login form shown, but this scenario expects an existing session');
      const form = { csrf: hiddenField(response.body, 'csrf'), login: person.login, password: person.password };
      path = action;
      response = await timer.time(STEPS.loginPost, () => browser.request(action, { form }));
      if (response.status === 503) throw new OverloadedError(Number(headerValue(response, 'retry-after') ?? 1));
      if (response.status !== 303) throw new Error(`login POST returned ${describePage(response)}`);
    } else if (action?.endsWith('/role')) {
      const form = { csrf: hiddenField(response.body, 'csrf'), role: firstRole(response.body) };
      path = action;
      response = await timer.time(STEPS.rolePost, () => browser.request(action, { form }));
    } else {
      throw new Error(`unexpected page at ${path.split('?')[0]}: ${describePage(response)}`);
    }
  }
  throw new Error(`no redirect to the service after ${MAX_HOPS} hops`);
}
