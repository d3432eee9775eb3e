// Availability checks for the outside services some tests need (PostgreSQL,
// Redis, Chromium), and gates that skip such tests locally but fail them in CI.
//
// Usage, one line per suite or test:
//
//   describe('users on PostgreSQL', await serviceGate(postgresAvailable), () => { ... });
//   test('login page in Chromium', await serviceGate(chromiumAvailable), async () => { ... });
//
// When the service is missing, the suite is skipped with the reason printed.
// With PROPUSK_REQUIRE_SERVICES=1 (set by .ci/run), serviceGate throws instead,
// so the whole test file fails to load and counts as one failed test. The other
// tests of that file then do not run.
//
// Inside a single test body, use requireService. It calls t.skip(reason), or
// under the same flag throws, so that only this test fails:
//
//   if (!(await requireService(t, redisAvailable))) return;
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { Redis } from 'ioredis';

export type ServiceUnavailable = { ok: false; reason: string };
export type ServiceStatus = { ok: true; url: string } | ServiceUnavailable;
export type ChromiumStatus = { ok: true; path: string } | ServiceUnavailable;
export type ServiceCheck = () => Promise<ServiceStatus | ChromiumStatus>;

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
const CONNECT_TIMEOUT_MS = 2000;

// Flags for Debian's Chromium run as root on a machine without outside network.
// Without the background-networking flags Chromium keeps connecting to Google
// hosts, and the closed network refuses each connection.
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

// An empty variable counts as unset, so `FOO= npm test` keeps the default.
function envOrDefault(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

export function servicesRequired(): boolean {
  return process.env.PROPUSK_REQUIRE_SERVICES === '1';
}

export function postgresUrl(): string {
  return envOrDefault('DATABASE_TEST_URL', DEFAULT_POSTGRES_URL);
}

export function redisUrl(): string {
  return envOrDefault('REDIS_TEST_URL', DEFAULT_REDIS_URL);
}

export function chromiumPath(): string {
  return envOrDefault('CHROMIUM_PATH', DEFAULT_CHROMIUM_PATH);
}

// Hides a password in a connection URL before it goes into a skip reason or error.
function redactUrl(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return '(unparsable URL)';
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(errorMessage).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

export async function postgresAvailable(): Promise<ServiceStatus> {
  const url = postgresUrl();
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: CONNECT_TIMEOUT_MS,
  });
  // A dropped connection emits 'error'; without a listener it would crash the test process.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return { ok: true, url };
  } catch (error) {
    return {
      ok: false,
      reason: `PostgreSQL not reachable at ${redactUrl(url)} (set DATABASE_TEST_URL): ${errorMessage(error)}`,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

export async function redisAvailable(): Promise<ServiceStatus> {
  const url = redisUrl();
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // connectTimeout ends at the TCP handshake; a peer that accepts and stays silent needs this.
    commandTimeout: CONNECT_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // connect() rejects only with "Connection is closed.", but the socket error
  // (ECONNREFUSED, ETIMEDOUT) arrives as an 'error' event, so keep it for the reason.
  let socketError: unknown;
  redis.on('error', (error: unknown) => {
    socketError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return { ok: true, url };
  } catch (error) {
    return {
      ok: false,
      reason: `Redis not reachable at ${redactUrl(url)} (set REDIS_TEST_URL): ${errorMessage(socketError ?? error)}`,
    };
  } finally {
    // disconnect() on an already closed client arms a 2 s timer (ioredis 6.1
    // disconnectTimeout) that nothing clears, which keeps the process alive.
    if (redis.status !== 'end') redis.disconnect();
  }
}

export async function chromiumAvailable(): Promise<ChromiumStatus> {
  const path = chromiumPath();
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      return { ok: false, reason: `Chromium path ${path} is not a file (set CHROMIUM_PATH)` };
    }
    await access(path, constants.X_OK);
    return { ok: true, path };
  } catch (error) {
    return {
      ok: false,
      reason: `Chromium not found or not executable at ${path} (install Debian package chromium or set CHROMIUM_PATH): ${errorMessage(error)}`,
    };
  }
}

function requiredError(reason: string): Error {
  return new Error(`${reason} [required because PROPUSK_REQUIRE_SERVICES=1]`);
}

/**
 * Runs `check` and returns node:test options for `describe`/`test`:
 * `{}` when the service is available, `{ skip: reason }` when it is not.
 * Throws instead of skipping when PROPUSK_REQUIRE_SERVICES=1.
 */
export async function serviceGate(check: ServiceCheck): Promise<{ skip?: string }> {
  const status = await check();
  if (status.ok) return {};
  if (servicesRequired()) throw requiredError(status.reason);
  return { skip: status.reason };
}

/**
 * Runs `check` from inside a test. Returns true when the service is available.
 * Otherwise marks the test skipped and returns false, so the caller must return.
 * Under PROPUSK_REQUIRE_SERVICES=1 it throws instead, which fails the test.
 */
export async function requireService(t: TestContext, check: ServiceCheck): Promise<boolean> {
  const status = await check();
  if (status.ok) return true;
  if (servicesRequired()) throw requiredError(status.reason);
  t.skip(status.reason);
  return false;
}
