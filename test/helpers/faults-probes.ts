// HTTP probes for fault tests: requests with a time bound, /readyz of each
// node, a raw refresh grant, and the check that a failure page leaks nothing.
import assert from 'node:assert/strict';
import type { FaultCluster, NodeName } from './faults-cluster.js';
import { serviceSecret } from './oidc-flow.js';
import { waitUntil } from './processes.js';

/**
 * Maximum time a request may take while a store is down. Both stores refuse
 * connections at once when stopped, and Propusk's Redis commands time out
 * after 2 s, so a response later than this means a request hangs.
 */
export const REQUEST_BOUND_MS = 5000;
/** Maximum time a node may take to notice that a store went away or came back. */
export const READINESS_BOUND_MS = 15_000;
export const NODE_NAMES: readonly NodeName[] = ['a', 'b'];

export interface HttpResult {
  status: number;
  body: string;
  headers: Headers;
}

/** Send a request and fail the test if no complete response arrives within REQUEST_BOUND_MS. */
export async function boundedFetch(url: string, init: RequestInit = {}): Promise<HttpResult> {
  const started = Date.now();
  try {
    const response = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
    return { status: response.status, body: await response.text(), headers: response.headers };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') {
      assert.fail(`${init.method ?? 'GET'} ${url} got no response within ${REQUEST_BOUND_MS} ms (${Date.now() - started} ms)`);
    }
    throw error;
  }
}

export interface Readiness {
  status: number;
  /** The state of each check by name (database, migrations, redis), from the JSON body. */
  checks: Record<string, string>;
}

export async function readiness(cluster: FaultCluster, name: NodeName): Promise<Readiness> {
  const response = await boundedFetch(`${cluster.nodes[name].origin}/readyz`);
  const body = JSON.parse(response.body) as { checks?: Record<string, string> };
  return { status: response.status, checks: body.checks ?? {} };
}

/** Wait until /readyz of both nodes returns `status`. The error names the node that did not. */
export async function waitForReadiness(cluster: FaultCluster, status: number): Promise<void> {
  for (const name of NODE_NAMES) {
    await waitUntil(`/readyz of node ${name.toUpperCase()} answering ${status}`, READINESS_BOUND_MS, async () => (await readiness(cluster, name)).status === status, 100);
  }
}

/** Send a refresh grant without openid-client, so that a 5xx response can be inspected. */
export async function rawRefresh(cluster: FaultCluster, clientId: string, refreshToken: string): Promise<HttpResult> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(serviceSecret(clientId).secret)}`).toString('base64');
  return boundedFetch(`${cluster.issuer}/oidc/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
}

/** Internal details that must never reach a response body. */
const LEAKS = [/ECONNREFUSED/, /ECONNRESET/, /\bat .+:\d+:\d+\)/, /postgres(ql)?:\/\//i, /redis:\/\//i, /Connection is closed/i, /terminating connection/i];

/** Assert that a response is a server error of status `expected` (or any 5xx) that shows nothing internal. */
export function assertCleanFailure(result: HttpResult, label: string, expected?: number): void {
  const got = `${label}: got ${result.status}: ${result.body.slice(0, 300)}`;
  if (expected === undefined) {
    assert.ok(result.status >= 500, `${got}, expected a 5xx`);
    assert.ok(result.status <= 599, `${got}, expected a 5xx`);
  } else {
    assert.equal(result.status, expected, `${got}, expected ${expected}`);
  }
  for (const leak of LEAKS) {
    assert.doesNotMatch(result.body, leak, `${label}: the body shows internal details`);
  }
}

/**
 * Assert the response to an authorization request while the database is down:
 * a clean 5xx, or the redirect to the login page when the node needed no
 * database for it (the service is in its short per-process cache and the
 * interaction goes to Redis).
 */
export function assertCleanFailureOrLoginRedirect(result: HttpResult, label: string): void {
  if (result.status === 303) {
    assert.match(result.headers.get('location') ?? '', /^\/interaction\/[\w-]+$/, `${label}: a 303 must lead to the login page`);
    return;
  }
  assertCleanFailure(result, label);
}

/** Assert the documented response while a store is down: 503 with a Retry-After of whole seconds, nothing internal shown. */
export function assertRetryLater(result: HttpResult, label: string): void {
  assertCleanFailure(result, label, 503);
  const retryAfter = result.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^[1-9]\d*$/, `${label}: Retry-After is ${retryAfter}`);
}
