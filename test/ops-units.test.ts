// The pieces of the operations code that need no server: the bounded
// readiness check, the draining state, and the --workers option.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { parseWorkersOption } from '../src/cli/start.js';
import { InputError } from '../src/errors/index.js';
import { routeLabel } from '../src/metrics/route-label.js';
import { boundedCheck } from '../src/server/ops/bounded-check.js';
import { createReadiness } from '../src/server/ops/readiness.js';
import { openSqliteTestStore } from './helpers/databases.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';

const silent = pino({ level: 'silent' });

test('boundedCheck reports a check that does not settle in time as failed', async () => {
  const check = boundedCheck(() => new Promise<void>(() => {}), 10);
  assert.deepEqual(await check(), { ok: false, reason: 'no answer within 10 ms' });
});

test('boundedCheck runs one call at a time and shares it between concurrent probes', async () => {
  let calls = 0;
  let finish: () => void = () => {};
  const check = boundedCheck(() => {
    calls += 1;
    return new Promise<string>((resolve) => {
      finish = () => resolve('pong');
    });
  }, 60_000);
  const first = check();
  const second = check();
  finish();
  assert.deepEqual(await Promise.all([first, second]), [
    { ok: true, value: 'pong' },
    { ok: true, value: 'pong' },
  ]);
  assert.equal(calls, 1);
});

test('boundedCheck with a stalled call', async () => {
  let calls = 0;
  let finish: () => void = () => {};
  const check = boundedCheck(() => {
    calls += 1;
    return new Promise<void>((resolve) => {
      finish = resolve;
    });
  }, 5);
  assert.equal((await check()).ok, false);
  assert.equal((await check()).ok, false);
  assert.equal(calls, 1, 'a stalled call must not be started again on each probe');
  finish();
  await new Promise((resolve) => setImmediate(resolve));
  void check();
  assert.equal(calls, 2);
  finish();
});

test('boundedCheck turns a rejection into a failed result with its message', async () => {
  const check = boundedCheck(() => Promise.reject(new Error('connect ECONNREFUSED')), 1000);
  assert.deepEqual(await check(), { ok: false, reason: 'connect ECONNREFUSED' });
});

test('readiness reports draining, with no checks run, once the node is shutting down', async () => {
  const { store, cleanup } = await openSqliteTestStore();
  try {
    await migrateToLatest(store);
    let pings = 0;
    const readiness = createReadiness({ store, pingRedis: async () => void (pings += 1), logger: silent, timeoutMs: 1000 });
    assert.deepEqual(await readiness.check(), { status: 'ready', checks: { database: 'ok', migrations: 'ok', redis: 'ok' } });
    readiness.markDraining();
    assert.deepEqual(await readiness.check(), { status: 'draining', checks: {} });
    assert.equal(pings, 1);
  } finally {
    await cleanup();
  }
});

test('readiness names a failed Redis ping without its error text', async () => {
  const { store, cleanup } = await openSqliteTestStore();
  try {
    await migrateToLatest(store);
    const readiness = createReadiness({ store, pingRedis: () => Promise.reject(new Error('redis://:secret@cache:6379 refused')), logger: silent, timeoutMs: 1000 });
    const report = await readiness.check();
    assert.deepEqual(report, { status: 'not_ready', checks: { database: 'ok', migrations: 'ok', redis: 'failed' }, failed: ['redis'] });
    assert.doesNotMatch(JSON.stringify(report), /secret/);
  } finally {
    await cleanup();
  }
});

test('--workers takes a whole number in either spelling', () => {
  assert.equal(parseWorkersOption([]), undefined);
  assert.equal(parseWorkersOption(['--workers', '4']), 4);
  assert.equal(parseWorkersOption(['--workers=1']), 1);
});

test('--workers rejects zero, non-numbers, a missing value and unknown options with an InputError', () => {
  for (const args of [['--workers', '0'], ['--workers', 'two'], ['--workers'], ['--workers=-1'], ['--port', '3000']]) {
    assert.throws(() => parseWorkersOption(args), InputError, args.join(' '));
  }
});

test('route label of provider paths', () => {
  assert.equal(routeLabel(undefined, '/oidc/token'), 'oidc:token');
  assert.equal(routeLabel(undefined, '/oidc/TOKEN'), 'oidc:token', 'oidc-provider serves any case');
  assert.equal(routeLabel(undefined, '/oidc/token/introspection?x=1'), 'oidc:introspection');
  assert.equal(routeLabel(undefined, '/oidc/session/end/'), 'oidc:end_session');
  assert.equal(routeLabel(undefined, '/oidc/no-such-endpoint'), 'unmatched');
  assert.equal(routeLabel('/interaction/:uid', '/interaction/abc'), '/interaction/:uid');
});
