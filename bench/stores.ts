// The storage a benchmarked Propusk runs on: the embedded SQLite, or a fresh
// PostgreSQL database plus a Redis database of its own. Shared servers are
// never flushed: the benchmark drops only the database it created and deletes
// only the keys of the Redis database it claimed while that was empty.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export type StoreKind = 'sqlite' | 'postgres';

export interface BenchStore {
  kind: StoreKind;
  /** Shown in the report. */
  label: string;
  /** Environment variables that point Propusk at this store. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Server URLs. Override them with the environment variables to benchmark against other instances. */
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Redis databases tried, highest first, because tests and local use favour the low numbers. */
const REDIS_DATABASES = [15, 14, 13, 12, 11, 10, 9, 8];
const CLAIM_KEY = 'propusk-bench:claim';

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Replace the path of a connection URL: the PostgreSQL database name, or the Redis database number. */
function withPath(url: string, path: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${path}`;
  return parsed.toString();
}

/**
 * Claim an empty Redis database: set a claim key, and keep the database
 * only if that key is its only one. Returns the client, selected on it.
 */
async function claimRedisDatabase(token: string): Promise<{ redis: Redis; db: number }> {
  for (const db of REDIS_DATABASES) {
    const redis = new Redis(withPath(REDIS_URL, String(db)), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const set = await redis.set(CLAIM_KEY, token, 'EX', 3600, 'NX');
    if (set === 'OK' && (await redis.dbsize()) === 1) {
      return { redis, db };
    }
    if (set === 'OK') await redis.del(CLAIM_KEY);
    redis.disconnect();
  }
  throw new Error(`no empty Redis database among ${REDIS_DATABASES.join(', ')} at ${REDIS_URL}; set BENCH_REDIS_URL to another server`);
}

/** Delete every key of the claimed database, in batches, without FLUSHDB. */
async function deleteAllKeys(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

async function openPostgresStore(): Promise<BenchStore> {
  const token = randomBytes(6).toString('hex');
  const database = `propusk_bench_${token}`;
  await adminQuery(`create database ${database}`);
  let claimed: { redis: Redis; db: number };
  try {
    claimed = await claimRedisDatabase(token);
  } catch (error) {
    await adminQuery(`drop database ${database}`);
    throw error;
  }
  return {
    kind: 'postgres',
    label: `PostgreSQL + Redis (database ${claimed.db})`,
    env: { DATABASE_URL: withPath(POSTGRES_ADMIN_URL, database), REDIS_URL: withPath(REDIS_URL, String(claimed.db)) },
    async cleanup() {
      await deleteAllKeys(claimed.redis);
      claimed.redis.disconnect();
      await adminQuery(`drop database ${database} with (force)`);
    },
  };
}

export async function openStore(kind: StoreKind): Promise<BenchStore> {
  if (kind === 'postgres') {
    return openPostgresStore();
  }
  return { kind, label: 'SQLite', env: {}, cleanup: async () => {} };
}
