import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { hash, verify } from '@node-rs/argon2';
import { OverloadedError } from '../src/errors/index.js';
import { PASSWORD_HASH_PARAMETERS } from '../src/identity/password/hash.js';
import { createHashPool, spawnHashWorker, type HashPool, type HashPoolOptions } from '../src/identity/password/hash-pool.js';
import { createLogger } from '../src/logging/logger.js';

const logger = createLogger({ level: 'silent', pretty: false });

/** Start a worker that reports ready like the real one, then exits with code 7 on its first job. */
function spawnCrashingWorker(): Worker {
  const code = `
    const { parentPort } = require('node:worker_threads');
    parentPort.postMessage({ type: 'ready' });
    parentPort.on('message', () => process.exit(7));
  `;
  return new Worker(code, { eval: true, execArgv: [] });
}

/** Start a worker that fails while loading, before it reports ready. */
function spawnBrokenWorker(): Worker {
  return new Worker(`throw new Error('cannot load the hash library');`, { eval: true, execArgv: [] });
}

const pools: HashPool[] = [];

function pool(options: Partial<HashPoolOptions> = {}): HashPool {
  const created = createHashPool({ threads: 1, maxWaitMs: 60_000, logger, ...options });
  pools.push(created);
  return created;
}

after(async () => {
  await Promise.all(pools.map((each) => each.close()));
});

describe('hash pool results', () => {
  test('pool hashes verify with the library', async () => {
    const stored = await pool().hash('Пароль-школы-2024');
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verify(stored, 'Пароль-школы-2024'), true);
    assert.equal(await verify(stored, 'Пароль-школы-2025'), false);
  });

  test('library hashes verify in the pool', async () => {
    const stored = await hash('correct horse', PASSWORD_HASH_PARAMETERS);
    const hashes = pool({ threads: 2 });
    assert.equal(await hashes.verify(stored, 'correct horse'), true);
    assert.equal(await hashes.verify(stored, 'correct hors'), false);
  });

  test('invalid stored hash fails its job only', async () => {
    const hashes = pool();
    await assert.rejects(hashes.verify('not a hash', 'secret'), (error: unknown) => error instanceof Error && !(error instanceof OverloadedError));
    const stored = await hashes.hash('still working');
    assert.equal(await hashes.verify(stored, 'still working'), true);
  });

  test('stats count completed jobs', async () => {
    const hashes = pool({ threads: 2 });
    await Promise.all([hashes.hash('one'), hashes.hash('two'), hashes.hash('three')]);
    const stats = hashes.stats();
    assert.equal(stats.threads, 2);
    assert.equal(stats.completedTotal, 3);
    assert.equal(stats.busy, 0);
    assert.equal(stats.queued, 0);
    assert.equal(stats.rejectedTotal, 0);
  });
});

describe('hash pool workers', () => {
  test('crash fails its job, next job runs', async () => {
    let spawned = 0;
    const spawnWorker = () => {
      spawned += 1;
      return spawned === 1 ? spawnCrashingWorker() : spawnHashWorker();
    };
    const hashes = pool({ threads: 1, spawnWorker });

    const [crashed, survived] = await Promise.allSettled([hashes.hash('first'), hashes.hash('second')]);

    assert.equal(crashed.status, 'rejected');
    assert.match(String((crashed as PromiseRejectedResult).reason), /exited with code 7 while running/);
    assert.equal(survived.status, 'fulfilled');
    assert.equal(await verify((survived as PromiseFulfilledResult<string>).value, 'second'), true);
    assert.equal(spawned, 2, 'the pool started one replacement worker');
    assert.equal(hashes.stats().busy, 0);
  });

  test('worker that cannot start fails queued jobs', async () => {
    const hashes = pool({ threads: 1, spawnWorker: spawnBrokenWorker });
    await assert.rejects(hashes.hash('queued'), /exited with code 1 while starting/);
    assert.equal(hashes.stats().queued, 0);
  });

  test('close terminates every worker', async () => {
    const workers: Worker[] = [];
    const readyMessages: Array<Promise<unknown>> = [];
    const spawnWorker = () => {
      const worker = spawnHashWorker();
      workers.push(worker);
      // The first message of a worker is its ready message.
      readyMessages.push(once(worker, 'message'));
      return worker;
    };
    const hashes = pool({ threads: 2, spawnWorker });
    await Promise.all(readyMessages);
    const exits = workers.map((worker) => once(worker, 'exit'));

    // Two jobs run on the two threads and one waits in the queue.
    const jobs = Promise.allSettled([hashes.hash('running one'), hashes.hash('running two'), hashes.hash('queued')]);
    assert.equal(hashes.stats().busy, 2);
    assert.equal(hashes.stats().queued, 1);
    await hashes.close();

    await Promise.all(exits);
    assert.equal(workers.length, 2);
    const [runningOne, runningTwo, queued] = await jobs;
    assert.match(String(runningOne?.status === 'rejected' && runningOne.reason), /closed before the job finished/);
    assert.match(String(runningTwo?.status === 'rejected' && runningTwo.reason), /closed before the job finished/);
    assert.match(String(queued?.status === 'rejected' && queued.reason), /closed before the job started/);
    await assert.rejects(hashes.hash('after close'), /pool is closed/);
  });
});

describe('hash pool admission', () => {
  test('rejects when expected wait exceeds limit', async () => {
    const hashes = pool({ threads: 1, maxWaitMs: 1 });
    // The first job gives the pool its first service-time measurement.
    await hashes.hash('measure');
    assert.doesNotThrow(() => hashes.checkAdmission(), 'an idle thread means no wait');

    const running = hashes.hash('keeps the only thread busy');
    assert.equal(hashes.stats().busy, 1);
    assert.ok(hashes.stats().expectedWaitMs > 1);

    await assert.rejects(hashes.verify('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA', 'rejected'), (error: unknown) => {
      assert.ok(error instanceof OverloadedError);
      assert.equal(error.code, 'overloaded');
      assert.equal(error.status, 503);
      assert.equal(error.retryAfterSeconds, 1);
      return true;
    });
    assert.throws(() => hashes.checkAdmission(), OverloadedError);
    assert.equal(hashes.stats().rejectedTotal, 2);
    assert.equal(hashes.stats().queued, 0, 'a rejected job never joins the queue');

    const waited = hashes.hash('waits', { admission: 'wait' });
    assert.equal(hashes.stats().queued, 1);
    assert.equal(await verify(await waited, 'waits'), true);
    await running;
    assert.doesNotThrow(() => hashes.checkAdmission());
  });

  test('queues jobs within the limit', async () => {
    const hashes = pool({ threads: 1, maxWaitMs: 60_000 });
    await hashes.hash('measure');
    const jobs = [hashes.hash('one'), hashes.hash('two'), hashes.hash('three')];
    assert.equal(hashes.stats().queued, 2);
    assert.equal((await Promise.all(jobs)).length, 3);
    assert.equal(hashes.stats().rejectedTotal, 0);
  });
});
