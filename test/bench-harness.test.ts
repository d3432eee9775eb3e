// The parts of the benchmark harness (bench/) that decide what a result
// means: error counting, quantiles, cookies, options and profile summaries.
// The benchmark itself runs with `npm run bench`, not in the test suite.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildDataset } from '../bench/dataset.js';
import { CookieJar, type HttpResponse } from '../bench/http.js';
import { ITERATION, quantile, runLoad } from '../bench/load.js';
import { benchWorkers, parseOptions } from '../bench/options.js';
import { codeFromCallback } from '../bench/oidc.js';
import { summariseProfiles } from '../bench/profile.js';
import type { PassResult, ScenarioResult } from '../bench/measure.js';
import { storeSection } from '../bench/report-results.js';
import { SCENARIOS } from '../bench/scenarios/index.js';
import { parseBytesPerSession } from '../bench/session-memory.js';
import { serviceSchema } from '../src/importer/format.js';

function responseWithCookies(lines: string[]): HttpResponse {
  return { status: 200, headers: { 'set-cookie': lines }, body: '' };
}

test('load generator counts failed iterations as errors', async () => {
  let calls = 0;
  const result = await runLoad({ concurrency: 2, durationSeconds: 0.05 }, async () => {
    calls += 1;
    await new Promise((resolve) => setImmediate(resolve));
    if (calls % 2 === 0) throw new Error('unexpected status 500');
  });
  assert.ok(result.errors > 0);
  assert.equal(result.errors + result.iterations, calls);
  assert.deepEqual(result.errorSamples, ['unexpected status 500']);
  assert.equal(result.latencies.get(ITERATION)?.length, result.iterations);
});

test('quantile uses the nearest rank', () => {
  const samples = Array.from({ length: 100 }, (_, index) => index + 1);
  assert.equal(quantile(samples, 0.5), 50);
  assert.equal(quantile(samples, 0.99), 99);
  assert.equal(quantile([7], 0.99), 7);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('cookie jar scopes cookies by path', () => {
  const jar = new CookieJar();
  jar.store(responseWithCookies(['session=a; path=/; secure; httponly', 'interaction=b; path=/interaction/x1; secure']));
  assert.equal(jar.header('/oidc/auth?client_id=c'), 'session=a');
  assert.equal(jar.header('/interaction/x1/login'), 'session=a; interaction=b');
});

test('cookie jar drops expired cookies', () => {
  const jar = new CookieJar();
  jar.store(responseWithCookies(['interaction=b; path=/interaction/x1']));
  jar.store(responseWithCookies(['interaction=; path=/interaction/x1; expires=Thu, 01 Jan 1970 00:00:00 GMT']));
  assert.equal(jar.header('/interaction/x1'), undefined);
});

test('callback with another state is rejected', () => {
  const request = { path: '/oidc/auth', state: 'expected', verifier: 'v' };
  const redirectUri = 'http://127.0.0.1:9/bench/callback';
  assert.equal(codeFromCallback(`${redirectUri}?code=c1&state=expected`, redirectUri, request), 'c1');
  assert.throws(() => codeFromCallback(`${redirectUri}?code=c1&state=other`, redirectUri, request), /another state/);
  assert.throws(() => codeFromCallback(`${redirectUri}?error=access_denied&state=expected`, redirectUri, request), /access_denied/);
});

test('bench options reject unknown scenarios', () => {
  assert.throws(() => parseOptions(['--scenario', 'logins']), /unknown scenario logins/);
  assert.throws(() => parseOptions(['--duration', '0']), /--duration must be a positive number/);
  const quick = parseOptions(['--quick', '--scenario', 'refresh,userinfo']);
  assert.notEqual(quick, 'help');
  if (quick === 'help') return;
  assert.deepEqual(quick.scenarios, ['refresh', 'userinfo']);
  assert.deepEqual(quick.stores, ['sqlite']);
  assert.equal(quick.profile, false);
});

test('bench server workers default to half the cores, and --workers overrides them', () => {
  assert.equal(benchWorkers(1), 1);
  assert.equal(benchWorkers(2), 1);
  assert.equal(benchWorkers(3), 1);
  assert.equal(benchWorkers(8), 4);
  const chosen = parseOptions(['--workers', '3']);
  assert.notEqual(chosen, 'help');
  if (chosen === 'help') return;
  assert.equal(chosen.workers, 3);
  for (const bad of ['1.5', '0', 'abc', '', '10000', '1e0', '0x2']) {
    assert.throws(() => parseOptions(['--workers', bad]), /--workers must be a whole number from 1 to 9999/, bad);
  }
});

test('bench dataset services take ES256', () => {
  const { records } = buildDataset(2);
  const services = (records as { services: unknown[] }).services.map((service) => serviceSchema.parse(service));
  assert.deepEqual(
    services.map((service) => [service.client_id, service.id_token_signed_response_alg]),
    [
      ['bench-web', 'ES256'],
      ['bench-machine', 'ES256'],
    ],
  );
});

test('session memory number is read from output', () => {
  assert.equal(parseBytesPerSession('measuring\n{"bytesPerSession":1187.5}\n'), 1187.5);
  assert.equal(parseBytesPerSession('Redis: 1,246 bytes per idle session (100000 sessions)'), 1246);
  assert.equal(parseBytesPerSession('no number here'), undefined);
});

test('profile summary counts self time inside the window', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-profile-'));
  try {
    const file = path.join(dir, 'server.cpuprofile');
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'executeQuery', url: 'file:///x/node_modules/kysely/dist/driver.js', lineNumber: 59 } },
        { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      ],
      startTime: 0,
      endTime: 10_000,
      // Samples fall at 1, 2, 3 … 10 ms. Only those from 2 ms to 8 ms count.
      samples: [2, 2, 2, 2, 3, 3, 2, 2, 2, 2],
      timeDeltas: Array.from({ length: 10 }, () => 1000),
    };
    await writeFile(file, JSON.stringify(profile));
    const summary = summariseProfiles([file], { window: { fromMicros: 2000, toMicros: 8000 } });
    assert.equal(summary.busyMs, 5);
    assert.equal(summary.areas[0]?.name, 'kysely');
    assert.equal(summary.functions[0]?.selfMs, 5);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function passWithRate(perCpuSecond: number): PassResult {
  return {
    iterations: 100, errors: 0, errorSamples: [], elapsedSeconds: 1, latencies: new Map([[ITERATION, [1, 2, 3]]]), lateStarts: 0,
    generatorCpuSeconds: 0.1, concurrency: 4, serverCpuSeconds: 100 / perCpuSecond, throughput: 100, perCpuSecond, serverProcesses: 1,
  };
}

test('targets table shows bare provider rate', () => {
  const scenario = SCENARIOS.find((candidate) => candidate.name === 'sso-hop');
  assert.ok(scenario !== undefined);
  const propusk: ScenarioResult = { scenario, target: 'Propusk, SQLite', max: passWithRate(150) };
  const bare: ScenarioResult = { scenario, target: 'bare oidc-provider', max: passWithRate(300) };
  const section = storeSection({ label: 'SQLite', commands: [], results: [propusk], profiles: [] }, { bare: [bare], errors: [] });
  const row = section.split('\n').find((line) => line.startsWith('| sso-hop | ≥ 600 per CPU-s'));
  assert.ok(row !== undefined, 'the targets table has the SSO hop row');
  assert.match(row, /\| 150 \| \*\*missed\*\* by 75% \|/);
  assert.match(row, /\| 300 \(50% of the target\) \|$/);
});
