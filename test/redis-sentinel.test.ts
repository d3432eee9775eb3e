// Redis through Sentinel: a real redis-server in sentinel mode monitors the
// test Redis, and Propusk finds the master by asking it. REDIS_URL points at a
// closed port, so every command that works went through the sentinel.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../src/config/load.js';
import { closeRedisClient, openRedisClient } from '../src/redis/client.js';
import { parseSentinelList } from '../src/redis/sentinels.js';
import { freePort } from './helpers/free-port.js';
import { passwordLogin, relyingParty } from './helpers/oidc-flow.js';
import { startPropusk } from './helpers/propusk-server.js';
import { redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

const MASTER = 'propusk-test';
const silent = pino({ level: 'silent' });

/** REDIS_URL with the test database but a closed port, so only the sentinel can lead to the master. */
function unreachableUrl(): string {
  const url = new URL(redisUrl());
  url.hostname = '127.0.0.1';
  url.port = '1';
  return url.toString();
}

async function waitFor(description: string, check: () => Promise<boolean>, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Wait until a Redis server or sentinel on `port` accepts a connection and `check` passes on it. */
async function waitForServer(port: number, description: string, check: (probe: Redis) => Promise<boolean>): Promise<void> {
  const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Refused connections while the server starts are expected; waitFor retries.
  probe.on('error', () => {});
  try {
    await waitFor(
      description,
      async () => {
        if (probe.status !== 'ready') await probe.connect();
        return check(probe);
      },
      5_000,
    );
  } finally {
    probe.disconnect();
  }
}

async function startSentinel(dir: string, port: number): Promise<ChildProcess> {
  const master = new URL(redisUrl());
  const config = path.join(dir, 'sentinel.conf');
  await writeFile(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER} ${master.hostname} ${master.port === '' ? 6379 : master.port} 1`,
      // No failover during the test: the shared test Redis has no replicas anyway.
      `sentinel down-after-milliseconds ${MASTER} 600000`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  await waitForServer(port, `the sentinel on port ${port} to report the master ${MASTER}`, async (probe) => (await probe.call('SENTINEL', 'get-master-addr-by-name', MASTER)) !== null);
  return child;
}

describe('PROPUSK_REDIS_SENTINELS settings', () => {
  test('address list parsing', () => {
    assert.deepEqual(parseSentinelList('sentinel-1:26379, 10.0.0.5:26380,[2001:db8::5]:26381,'), {
      ok: true,
      addresses: [
        { host: 'sentinel-1', port: 26379 },
        { host: '10.0.0.5', port: 26380 },
        { host: '2001:db8::5', port: 26381 },
      ],
    });
    assert.deepEqual(parseSentinelList('sentinel-1, host:0, host:70000, :26379'), { ok: false, invalid: ['sentinel-1', 'host:0', 'host:70000', ':26379'] });
    assert.deepEqual(parseSentinelList(' , '), { ok: false, invalid: ['(empty list)'] });
  });

  test('settings come as a pair with REDIS_URL', () => {
    const base = { NODE_ENV: 'test' };
    assert.throws(() => loadConfig({ ...base, REDIS_URL: 'redis://m/0', PROPUSK_REDIS_SENTINELS: 's:26379' }), /PROPUSK_REDIS_SENTINEL_MASTER: required with PROPUSK_REDIS_SENTINELS/);
    assert.throws(() => loadConfig({ ...base, REDIS_URL: 'redis://m/0', PROPUSK_REDIS_SENTINEL_MASTER: 'm' }), /PROPUSK_REDIS_SENTINELS: required with PROPUSK_REDIS_SENTINEL_MASTER/);
    assert.throws(() => loadConfig({ ...base, PROPUSK_REDIS_SENTINELS: 's:26379', PROPUSK_REDIS_SENTINEL_MASTER: 'm' }), /REDIS_URL: required with PROPUSK_REDIS_SENTINELS/);
    assert.throws(() => loadConfig({ ...base, REDIS_URL: 'redis://m/0', PROPUSK_REDIS_SENTINEL_PASSWORD: 'x' }), /PROPUSK_REDIS_SENTINEL_PASSWORD: set without PROPUSK_REDIS_SENTINELS/);
    assert.throws(() => loadConfig({ ...base, REDIS_URL: 'redis://m/0', PROPUSK_REDIS_SENTINELS: 's', PROPUSK_REDIS_SENTINEL_MASTER: 'm' }), /PROPUSK_REDIS_SENTINELS: not a host:port address: s/);

    const config = loadConfig({ ...base, REDIS_URL: 'redis://:pw@m/2', PROPUSK_REDIS_SENTINELS: 'a:26379,b:26379', PROPUSK_REDIS_SENTINEL_MASTER: 'main', PROPUSK_REDIS_SENTINEL_PASSWORD: 'sp' });
    assert.deepEqual(config.redisSentinel, { sentinels: [{ host: 'a', port: 26379 }, { host: 'b', port: 26379 }], master: 'main', password: 'sp' });
    assert.equal(loadConfig({ ...base, REDIS_URL: 'redis://m/0' }).redisSentinel, undefined);
  });
});

describe('Redis through Sentinel', await serviceGate(redisAvailable), () => {
  const prefix = `propusk-test-${randomBytes(4).toString('hex')}:`;
  let dir: string;
  let port: number;
  let sentinel: ChildProcess | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'propusk-sentinel-'));
    port = await freePort();
    sentinel = await startSentinel(dir, port);
  });

  after(async () => {
    sentinel?.kill('SIGTERM');
    const redis = new Redis(redisUrl());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  test('client reaches the master via sentinel', async () => {
    const redis = await openRedisClient(unreachableUrl(), silent, 'test', { sentinels: [{ host: '127.0.0.1', port }], master: MASTER });
    try {
      await redis.set(`${prefix}probe`, 'through-sentinel', 'EX', 60);
      const direct = new Redis(redisUrl());
      assert.equal(await direct.get(`${prefix}probe`), 'through-sentinel', 'the value is on the monitored master');
      direct.disconnect();
    } finally {
      await closeRedisClient(redis);
    }
  });

  test('unknown master name fails the start', async () => {
    await assert.rejects(
      openRedisClient(unreachableUrl(), silent, 'test', { sentinels: [{ host: '127.0.0.1', port }], master: 'no-such-master' }),
      /Cannot connect to Redis at master "no-such-master" of the sentinels 127\.0\.0\.1:\d+ .*: the sentinels monitor no master named "no-such-master"; set PROPUSK_REDIS_SENTINEL_MASTER/,
    );
  });

  test('server on Sentinel signs a person in', async () => {
    const propusk = await startPropusk({
      env: { REDIS_URL: unreachableUrl(), PROPUSK_REDIS_SENTINELS: `127.0.0.1:${port}`, PROPUSK_REDIS_SENTINEL_MASTER: MASTER, PROPUSK_REDIS_PREFIX: prefix },
    });
    try {
      const ready = await fetch(`${propusk.issuer}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { checks: { redis: string } }).checks.redis, 'ok');

      const dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
      const { tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
      assert.ok(tokens.access_token);
      const direct = new Redis(redisUrl());
      assert.equal((await direct.keys(`${prefix}oidc:s:*`)).length, 1, 'the session is in the monitored Redis');
      direct.disconnect();
    } finally {
      await propusk.stop();
    }
  });
});

/** Start a redis-server of this test's own on a free loopback port, keeping nothing on disk. */
async function startRedis(dir: string, extra: string[]): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: 'ignore' });
  await waitForServer(port, `redis-server on port ${port}`, async (probe) => (await probe.ping()) === 'PONG');
  return { port, child };
}

describe('Sentinel failover', await serviceGate(redisAvailable), () => {
  const children: ChildProcess[] = [];
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'propusk-failover-'));
  });

  after(async () => {
    for (const child of children) child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  test('writes follow a planned failover', async () => {
    const master = await startRedis(dir, []);
    children.push(master.child);
    const replica = await startRedis(dir, ['--replicaof', '127.0.0.1', String(master.port)]);
    children.push(replica.child);
    const sentinelPort = await freePort();
    const config = path.join(dir, 'failover-sentinel.conf');
    await writeFile(
      config,
      [`port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor failover-test 127.0.0.1 ${master.port} 1`, 'sentinel down-after-milliseconds failover-test 2000', 'sentinel failover-timeout failover-test 10000', ''].join('\n'),
    );
    const sentinelProcess = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
    children.push(sentinelProcess);
    const admin = new Redis({ host: '127.0.0.1', port: sentinelPort, lazyConnect: true, retryStrategy: () => 100 });
    admin.on('error', () => {});
    const replicaClient = new Redis({ host: '127.0.0.1', port: replica.port });
    replicaClient.on('error', () => {});
    const client = await openRedisClient('redis://127.0.0.1:1/0', silent, 'test', { sentinels: [{ host: '127.0.0.1', port: sentinelPort }], master: 'failover-test' });
    try {
      await waitFor('the sentinel to see the replica', async () => {
        if (admin.status !== 'ready') await admin.connect();
        const replicas = (await admin.call('SENTINEL', 'replicas', 'failover-test')) as unknown[];
        return replicas.length === 1 && (await replicaClient.info('replication')).includes('master_link_status:up');
      });

      // Write one key every 20 ms through the failover, and keep the acknowledged ones with their times.
      const acknowledged: Array<{ key: string; at: number }> = [];
      let writing = true;
      const writer = (async () => {
        for (let index = 0; writing; index += 1) {
          const key = `failover-${index}`;
          try {
            await client.set(key, 'x');
            acknowledged.push({ key, at: Date.now() });
          } catch {
            // A write rejected during the switch would give the caller a 503, and nothing is lost.
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await admin.call('SENTINEL', 'failover', 'failover-test'), 'OK');
      await waitFor('the sentinel to name the replica as master', async () => {
        const address = (await admin.call('SENTINEL', 'get-master-addr-by-name', 'failover-test')) as string[];
        return address[1] === String(replica.port);
      });
      const switchedAt = Date.now();
      // The old master becomes a replica when the sentinel next checks it, and then drops its own data.
      const oldMaster = new Redis({ host: '127.0.0.1', port: master.port });
      oldMaster.on('error', () => {});
      await waitFor(
        'the old master to follow the new one',
        async () => {
          const replication = await oldMaster.info('replication');
          return replication.includes('role:slave') && replication.includes('master_link_status:up');
        },
        40_000,
      );
      oldMaster.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 300));
      writing = false;
      await writer;

      const late = acknowledged.filter((write) => write.at > switchedAt + 1000);
      assert.ok(late.length > 10, `writes went on after the switch (${late.length})`);
      const present = await replicaClient.exists(...late.map((write) => write.key));
      assert.equal(present, late.length, 'every write acknowledged a second after the switch is on the new master');
    } finally {
      await closeRedisClient(client);
      replicaClient.disconnect();
      admin.disconnect();
    }
  });
});
