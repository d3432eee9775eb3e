import assert from 'node:assert/strict';
import os from 'node:os';
import { after, describe, test } from 'node:test';
import { hash } from '@node-rs/argon2';
import { loadConfig } from '../src/config/load.js';
import { ConfigError, OverloadedError } from '../src/errors/index.js';
import { libuvPasswordHasher } from '../src/identity/password/hash.js';
import { createServiceTimeAverage, expectedWaitMs, retryAfterSeconds } from '../src/identity/password/hash-admission.js';
import { createHashPool } from '../src/identity/password/hash-pool.js';
import { createPooledPasswordHasher } from '../src/identity/password/hash-pooled.js';
import { createLogger } from '../src/logging/logger.js';

const logger = createLogger({ level: 'silent', pretty: false });

describe('hash pool admission arithmetic', () => {
  test('expected wait follows queue and threads', () => {
    assert.equal(expectedWaitMs({ threads: 2, busy: 1, queued: 0 }, 20), 0, 'a free thread starts the job at once');
    assert.equal(expectedWaitMs({ threads: 2, busy: 2, queued: 0 }, 20), 20);
    assert.equal(expectedWaitMs({ threads: 2, busy: 2, queued: 6 }, 20), 80);
    assert.equal(expectedWaitMs({ threads: 4, busy: 4, queued: 96 }, 20), 500);
    assert.equal(expectedWaitMs({ threads: 1, busy: 1, queued: 50 }, undefined), 0, 'no measurement yet admits the job');
  });

  test('retry-after rounds up to whole seconds', () => {
    assert.equal(retryAfterSeconds(0), 1);
    assert.equal(retryAfterSeconds(501), 1);
    assert.equal(retryAfterSeconds(1000), 1);
    assert.equal(retryAfterSeconds(1001), 2);
    assert.equal(retryAfterSeconds(4200), 5);
  });

  test('moving average starts at the first job', () => {
    const average = createServiceTimeAverage();
    assert.equal(average.milliseconds, undefined);
    average.add(10);
    assert.equal(average.milliseconds, 10);
    average.add(20);
    assert.equal(average.milliseconds, 12);
    for (let job = 0; job < 50; job += 1) average.add(30);
    assert.ok(Math.abs((average.milliseconds ?? 0) - 30) < 0.01, `average ${average.milliseconds} did not follow a new service time`);
  });
});

describe('hash pool configuration', () => {
  test('threads default to CPUs per process', () => {
    const cpus = os.availableParallelism();
    assert.equal(loadConfig({}).hashThreads, cpus);
    assert.equal(loadConfig({ PROPUSK_WORKERS: '2' }).hashThreads, Math.max(1, Math.floor(cpus / 2)));
    assert.equal(loadConfig({ PROPUSK_WORKERS: String(cpus * 4) }).hashThreads, 1);
    assert.equal(loadConfig({ PROPUSK_HASH_THREADS: '3', PROPUSK_WORKERS: '8' }).hashThreads, 3);
  });

  test('max wait defaults to 500 ms', () => {
    assert.equal(loadConfig({}).hashMaxWaitMs, 500);
    assert.equal(loadConfig({ PROPUSK_HASH_MAX_WAIT_MS: '50' }).hashMaxWaitMs, 50);
  });

  test('invalid values name the variable', () => {
    assert.throws(() => loadConfig({ PROPUSK_HASH_THREADS: '0' }), (error: unknown) => error instanceof ConfigError && /PROPUSK_HASH_THREADS/.test(error.message));
    assert.throws(() => loadConfig({ PROPUSK_HASH_MAX_WAIT_MS: 'soon' }), /PROPUSK_HASH_MAX_WAIT_MS/);
    assert.throws(() => loadConfig({ PROPUSK_WORKERS: '1.5' }), /PROPUSK_WORKERS/);
  });
});

describe('pooled password hasher', () => {
  const pool = createHashPool({ threads: 1, maxWaitMs: 1, logger });
  const pooled = createPooledPasswordHasher(pool);
  after(() => pool.close());

  test('matches the libuv hasher', async () => {
    await pooled.prepare();
    const cases: Array<[stored: string, typed: string]> = [
      [await libuvPasswordHasher.hashPassword('Пароль-школы-2024'), 'Пароль-школы-2024'],
      [await pooled.hashPassword('Пароль-школы-2024'), 'Пароль-школы-2025'],
      [await pooled.hashPassword('ｐａｓｓｗｏｒｄ１２３'), 'password123'],
      [await libuvPasswordHasher.hashPassword('мо\u0439'), 'мо\u0438\u0306'],
      [await hash('old password', { memoryCost: 8192, timeCost: 1, parallelism: 1 }), 'old password'],
      [await hash('old password', { memoryCost: 8192, timeCost: 1, parallelism: 1 }), 'guess'],
    ];
    for (const [stored, typed] of cases) {
      assert.deepEqual(await pooled.verifyPassword(stored, typed), await libuvPasswordHasher.verifyPassword(stored, typed), typed);
    }
    assert.deepEqual(await pooled.verifyPassword(cases[4]?.[0] ?? '', 'old password'), { ok: true, needsRehash: true });
  });

  test('dummy verification uses the pool', async () => {
    await pooled.prepare();
    const before = pool.stats().completedTotal;
    assert.deepEqual(await pooled.verifyAgainstDummy('anything'), { ok: false, needsRehash: false });
    assert.equal(pool.stats().completedTotal, before + 1);
  });

  test('dummy verification is admitted like a real one', async () => {
    await pooled.prepare();
    const stored = await pooled.hashPassword('busy');
    const running = pooled.verifyPassword(stored, 'busy');
    assert.throws(() => pooled.checkAdmission(), OverloadedError);
    await assert.rejects(pooled.verifyAgainstDummy('anything'), OverloadedError);
    await assert.rejects(pooled.verifyPassword(stored, 'busy'), OverloadedError);
    assert.deepEqual(await pooled.verifyAgainstDummy('anything', { admission: 'wait' }), { ok: false, needsRehash: false });
    assert.equal((await running).ok, true);
  });
});
