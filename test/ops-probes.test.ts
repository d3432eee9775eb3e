// /healthz and /readyz on a real server: the checks and their responses, a
// database that goes away or stalls, a missing migration, Redis going away,
// recovery without a restart, and probe request lines at debug level.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { MIGRATIONS } from '../src/storage/migrations/registry.js';
import { createPostgresSchema } from './helpers/databases.js';
import { waitUntil } from './helpers/processes.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, postgresUrl, redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

const NEWEST_MIGRATION = Object.keys(MIGRATIONS).sort().at(-1) as string;
const RECOVERY_WAIT_MS = 15_000;

interface Readyz {
  status: number;
  body: { status: string; checks: Record<string, string>; failed?: string[] };
  cacheControl: string | null;
}

async function readyz(issuer: string): Promise<Readyz> {
  const response = await fetch(`${issuer}/readyz`);
  return { status: response.status, body: (await response.json()) as Readyz['body'], cacheControl: response.headers.get('cache-control') };
}

/**
 * A loopback TCP proxy in front of PostgreSQL or Redis, standing in for the
 * network. `cut` drops every connection and rejects new ones, `stall` accepts
 * connections and never forwards a byte, `restore` forwards again.
 */
interface FaultProxy {
  port: number;
  cut(): Promise<void>;
  stall(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (stalled) {
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const dropAll = () => sockets.forEach((socket) => socket.destroy());
  await listen(0);
  const port = (server.address() as { port: number }).port;
  return {
    port,
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropAll();
      });
    },
    stall() {
      stalled = true;
      dropAll();
    },
    async restore() {
      stalled = false;
      dropAll();
      if (!server.listening) {
        await listen(port);
      }
    },
    async close() {
      dropAll();
      if (server.listening) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

function throughProxy(url: string, proxyPort: number): string {
  const parsed = new URL(url);
  parsed.host = `127.0.0.1:${proxyPort}`;
  return parsed.toString();
}

describe('probes on SQLite', () => {
  let propusk: RunningPropusk;
  const logLines: string[] = [];

  before(async () => {
    propusk = await startPropusk({ logLines });
  });
  after(async () => {
    await propusk.stop();
  });

  test('/healthz answers 200 without touching any dependency', async () => {
    const response = await fetch(`${propusk.issuer}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  test('/readyz lists the database and migration checks, and no Redis check without REDIS_URL', async () => {
    const answer = await readyz(propusk.issuer);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
    assert.equal(answer.cacheControl, 'no-store');
  });

  test('probe request lines are logged at debug level, other requests at info', async () => {
    await fetch(`${propusk.issuer}/readyz`);
    await fetch(`${propusk.issuer}/healthz`);
    await fetch(`${propusk.issuer}/.well-known/openid-configuration`);
    const requestLines = logLines.map((line) => JSON.parse(line) as { level: number; msg: string; url?: string }).filter((line) => line.msg === 'request');
    const levelOf = (url: string) => new Set(requestLines.filter((line) => line.url === url).map((line) => line.level));
    assert.deepEqual(levelOf('/readyz'), new Set([20]));
    assert.deepEqual(levelOf('/healthz'), new Set([20]));
    assert.deepEqual(levelOf('/.well-known/openid-configuration'), new Set([30]));
  });

  test('/readyz answers 503 naming the migrations while the newest migration is not recorded', async () => {
    // Kysely's own bookkeeping table is not part of DatabaseSchema.
    const db = propusk.runtime.store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const row = await db.selectFrom('kysely_migration').selectAll().where('name', '=', NEWEST_MIGRATION).executeTakeFirstOrThrow();
    await db.deleteFrom('kysely_migration').where('name', '=', NEWEST_MIGRATION).execute();
    try {
      const answer = await readyz(propusk.issuer);
      assert.equal(answer.status, 503);
      assert.deepEqual(answer.body, { status: 'not_ready', checks: { database: 'ok', migrations: 'failed' }, failed: ['migrations'] });
    } finally {
      await db.insertInto('kysely_migration').values(row).execute();
    }
    assert.equal((await readyz(propusk.issuer)).status, 200);
    assert.ok(logLines.some((line) => line.includes('readiness check failed') && line.includes('"check":"migrations"')));
    assert.ok(logLines.some((line) => line.includes('readiness check passes again') && line.includes('"check":"migrations"')));
  });

  test('/readyz answers 503 naming the database once it is closed', async () => {
    await propusk.runtime.store.close();
    const answer = await readyz(propusk.issuer);
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body, { status: 'not_ready', checks: { database: 'failed', migrations: 'not_checked' }, failed: ['database'] });
    assert.equal((await fetch(`${propusk.issuer}/healthz`)).status, 200, 'liveness must not depend on the database');
  });
});

describe('probes on PostgreSQL through a failing network', async () => {
  const gate = await serviceGate(postgresAvailable);
  let propusk: RunningPropusk;
  let proxy: FaultProxy;
  let dropSchema: () => Promise<void>;

  before(async () => {
    if (gate.skip !== undefined) return;
    const schema = await createPostgresSchema();
    dropSchema = schema.drop;
    proxy = await startFaultProxy(Number(new URL(postgresUrl()).port || 5432));
    propusk = await startPropusk({ databaseUrl: throughProxy(schema.url, proxy.port) });
  });
  after(async () => {
    if (gate.skip !== undefined) return;
    await proxy.restore();
    await propusk.stop();
    await proxy.close();
    await dropSchema();
  });

  test('database cut off, then back', gate, async () => {
    assert.equal((await readyz(propusk.issuer)).status, 200);
    await proxy.cut();
    const down = await readyz(propusk.issuer);
    assert.equal(down.status, 503);
    assert.deepEqual(down.body.failed, ['database']);
    assert.doesNotMatch(JSON.stringify(down.body), /postgres|127\.0\.0\.1|ECONN/, 'the answer must not carry addresses or error texts');

    await proxy.restore();
    await waitUntil('/readyz 200 after the database returned', RECOVERY_WAIT_MS, async () => (await readyz(propusk.issuer)).status === 200);
  });

  test('database stalled, then back', gate, async () => {
    proxy.stall();
    const first = await readyz(propusk.issuer);
    const second = await readyz(propusk.issuer);
    assert.equal(first.status, 503);
    assert.deepEqual(first.body.failed, ['database']);
    assert.equal(second.status, 503);

    await proxy.restore();
    await waitUntil('/readyz 200 after the stall ended', RECOVERY_WAIT_MS, async () => (await readyz(propusk.issuer)).status === 200);
  });
});

describe('probes with Redis through a failing network', async () => {
  const gate = await serviceGate(redisAvailable);
  let propusk: RunningPropusk;
  let proxy: FaultProxy;
  const prefix = `propusk-ops-${randomBytes(4).toString('hex')}:`;

  before(async () => {
    if (gate.skip !== undefined) return;
    proxy = await startFaultProxy(Number(new URL(redisUrl()).port || 6379));
    propusk = await startPropusk({ env: { REDIS_URL: throughProxy(redisUrl(), proxy.port), PROPUSK_REDIS_PREFIX: prefix } });
  });
  after(async () => {
    if (gate.skip !== undefined) return;
    await proxy.restore();
    await propusk.stop();
    await proxy.close();
    const redis = new Redis(redisUrl());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('Redis cut off, then back', gate, async () => {
    const up = await readyz(propusk.issuer);
    assert.equal(up.status, 200);
    assert.equal(up.body.checks.redis, 'ok');

    await proxy.cut();
    const down = await readyz(propusk.issuer);
    assert.equal(down.status, 503);
    assert.deepEqual(down.body, { status: 'not_ready', checks: { database: 'ok', migrations: 'ok', redis: 'failed' }, failed: ['redis'] });

    await proxy.restore();
    await waitUntil('/readyz 200 after Redis returned', RECOVERY_WAIT_MS, async () => (await readyz(propusk.issuer)).status === 200);
  });
});
