// Measure the Redis memory of one idle single sign-on session with one
// service: the Session record, its uid index entry and its entry in the
// session expiry set. Grants and refresh tokens live in the database, so a
// second figure shows what a Grant would add if it lived in Redis too.
//
//   node --import tsx scripts/measure-session-memory.ts [sessions]
//
// It starts a private redis-server (random port, its own directory, no
// persistence) and a Propusk on SQLite. It logs one person in through the
// real flow (password, code, token) to get realistic payloads. Then it writes
// `sessions` copies with fresh ids through the Redis adapter and divides the
// growth of INFO used_memory by their number. The last line is JSON.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import pino from 'pino';
import { openOidcStorage, type OidcStorage } from '../src/storage/redis/oidc-storage.js';
import type { OidcPayload } from '../src/storage/oidc-adapter.js';
import { openSqliteTestStore } from '../test/helpers/databases.js';
import { passwordLogin, relyingParty } from '../test/helpers/oidc-flow.js';
import { startPrivateRedis } from '../test/helpers/private-redis.js';
import { startPropusk } from '../test/helpers/propusk-server.js';

const DEFAULT_SESSIONS = 2000;
const PREFIX = 'propusk:';
/** The copies get a prefix of their own, apart from the sample login's records. */
const MEASURE_PREFIX = 'measure:';

interface Sample {
  session: OidcPayload;
  sessionTtl: number;
  grant: OidcPayload;
  grantTtl: number;
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
}

/** Copy a record, replacing every id in it by a fresh random one of the same length. */
function withFreshIds(payload: OidcPayload, ids: readonly string[], fresh: Map<string, string>): OidcPayload {
  let json = JSON.stringify(payload);
  for (const id of ids) {
    json = json.replaceAll(id, fresh.get(id) ?? id);
  }
  return JSON.parse(json) as OidcPayload;
}

function freshIdsFor(ids: readonly string[]): Map<string, string> {
  return new Map(ids.map((id) => [id, randomBytes(id.length).toString('base64url').slice(0, id.length)]));
}

/** Log one person in to one service and read back the session and grant that the real flow stored. */
async function realisticSample(redisUrl: string): Promise<Sample> {
  const propusk = await startPropusk({ env: { REDIS_URL: redisUrl, PROPUSK_REDIS_PREFIX: PREFIX } });
  const redis = new Redis(redisUrl);
  try {
    const rp = await relyingParty(propusk.issuer, 'dnevnik');
    await passwordLogin(propusk.issuer, rp, 'ivanova@example.ru');
    const [sessionKey] = await redis.keys(`${PREFIX}oidc:s:*`);
    if (sessionKey === undefined) {
      throw new Error('the login stored no session in Redis');
    }
    const sessionId = sessionKey.slice(`${PREFIX}oidc:s:`.length);
    const storage = await openOidcStorage({ store: propusk.runtime.store, redisUrl, redisPrefix: PREFIX, logger: pino({ level: 'silent' }) });
    try {
      const session = await storage.adapterFor('Session').find(sessionId);
      const grantId = Object.values((session?.authorizations ?? {}) as Record<string, { grantId?: string }>)[0]?.grantId;
      const grant = grantId === undefined ? undefined : await storage.adapterFor('Grant').find(grantId);
      if (session === undefined || grant === undefined) {
        throw new Error('the login left no session or grant to copy');
      }
      const now = Date.now() / 1000;
      return { session, sessionTtl: Math.round(Number(session.exp) - now), grant, grantTtl: Math.round(Number(grant.exp) - now) };
    } finally {
      await storage.close();
    }
  } finally {
    redis.disconnect();
    await propusk.stop();
  }
}

/** Write `count` sessions like the sample through the adapter; return the bytes of used_memory each added. */
async function bytesPerCopy(redis: Redis, count: number, write: (index: number) => Promise<void>): Promise<number> {
  const before = await usedMemory(redis);
  for (let index = 0; index < count; index += 1) {
    await write(index);
  }
  return Math.round(((await usedMemory(redis)) - before) / count);
}

async function measure(storage: OidcStorage, redis: Redis, sample: Sample, count: number) {
  const sessionIds = [sample.session.jti, sample.session.uid].filter((id): id is string => typeof id === 'string');
  const grantIds = [...sessionIds, sample.grant.jti as string];
  const sessions = storage.adapterFor('Session');

  const bytesPerSession = await bytesPerCopy(redis, count, async () => {
    const copy = withFreshIds(sample.session, grantIds, freshIdsFor(grantIds));
    await sessions.upsert(copy.jti as string, copy, sample.sessionTtl);
  });

  // The Grant model is routed to the database, so its copies go into Redis as
  // Interaction records: one JSON string with a TTL each, as a Grant would be stored.
  const grants = storage.adapterFor('Interaction');
  const bytesPerGrant = await bytesPerCopy(redis, count, async () => {
    const copy = withFreshIds(sample.grant, grantIds, freshIdsFor(grantIds));
    await grants.upsert(copy.jti as string, copy, sample.grantTtl);
  });

  const [oneSession] = await redis.keys(`${MEASURE_PREFIX}oidc:s:*`);
  const [oneIndex] = await redis.keys(`${MEASURE_PREFIX}oidc:uid:*`);
  return {
    bytesPerSession,
    bytesPerGrantIfInRedis: bytesPerGrant,
    memoryUsageSessionKey: oneSession === undefined ? undefined : await redis.memory('USAGE', oneSession),
    memoryUsageUidIndexKey: oneIndex === undefined ? undefined : await redis.memory('USAGE', oneIndex),
    sessionJsonBytes: Buffer.byteLength(JSON.stringify(sample.session)),
    grantJsonBytes: Buffer.byteLength(JSON.stringify(sample.grant)),
  };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? DEFAULT_SESSIONS);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`sessions must be a whole number above 0, got ${process.argv[2]}`);
  }
  const server = await startPrivateRedis();
  try {
    const sample = await realisticSample(server.url);
    const redis = new Redis(server.url);
    const database = await openSqliteTestStore();
    const storage = await openOidcStorage({ store: database.store, redisUrl: server.url, redisPrefix: MEASURE_PREFIX, logger: pino({ level: 'silent' }) });
    try {
      const result = await measure(storage, redis, sample, count);
      const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
      console.log(`Redis ${version}, ${count} sessions, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
      console.log(`Session JSON as oidc-provider writes it: ${result.sessionJsonBytes} bytes; MEMORY USAGE of one session key: ${result.memoryUsageSessionKey} B, of its uid index key: ${result.memoryUsageUidIndexKey} B`);
      console.log(`${result.bytesPerSession} bytes of Redis memory per idle session (Session + uid index + expiry entry; the Grant is in the database)`);
      console.log(`A Grant in Redis would add about ${result.bytesPerGrantIfInRedis} bytes (its JSON: ${result.grantJsonBytes} bytes)`);
      console.log(JSON.stringify({ sessions: count, ...result }));
    } finally {
      await storage.close();
      await database.cleanup();
      redis.disconnect();
    }
  } finally {
    await server.destroy();
  }
}

await main();
