import { DEFAULT_MIGRATION_TABLE, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../../storage/database.js';
import { MIGRATIONS } from '../../storage/migrations/registry.js';
import { boundedCheck, type CheckResult } from './bounded-check.js';

export type CheckName = 'database' | 'migrations' | 'redis';
export type CheckStatus = 'ok' | 'failed' | 'not_checked';

/** The body of /readyz: no addresses, no error texts, only check names and states. */
export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'draining';
  checks: Partial<Record<CheckName, CheckStatus>>;
  /** Names of the checks that failed, when there are any. */
  failed?: CheckName[];
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
  /** From now on every check reports `draining`: the node is shutting down and takes no new work. */
  markDraining(): void;
}

export interface ReadinessParts {
  store: Store;
  /** PING of the Redis connection; absent when REDIS_URL is unset. */
  pingRedis?: () => Promise<unknown>;
  logger: Logger;
  /** Time limit of each check. */
  timeoutMs: number;
}

/** Migration names sort in run order, so the last one is the newest. */
const NEWEST_MIGRATION = Object.keys(MIGRATIONS).sort().at(-1) as string;

/**
 * Check the database and the schema with one query: it fails when the
 * database is unreachable, and it finds no row when this build's newest
 * migration has not run (a node deployed before `propusk migrate`). The
 * table is the one Kysely's Migrator keeps, in the current schema.
 */
async function newestMigrationApplied(store: Store): Promise<boolean> {
  const result = await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)} where name = ${NEWEST_MIGRATION}`.execute(store.db);
  return result.rows.length > 0;
}

export function createReadiness(parts: ReadinessParts): Readiness {
  const { logger, timeoutMs } = parts;
  let draining = false;
  const checkDatabase = boundedCheck(() => newestMigrationApplied(parts.store), timeoutMs);
  const pingRedis = parts.pingRedis;
  const checkRedis = pingRedis === undefined ? undefined : boundedCheck(async () => void (await pingRedis()), timeoutMs);
  const failing = new Set<CheckName>();

  // Log each change of a check's state once, not once per probe.
  const note = (name: CheckName, result: CheckResult<unknown>): CheckStatus => {
    if (!result.ok && !failing.has(name)) {
      failing.add(name);
      logger.warn({ check: name, reason: result.reason }, 'readiness check failed; /readyz returns 503');
    } else if (result.ok && failing.delete(name)) {
      logger.info({ check: name }, 'readiness check passes again');
    }
    return result.ok ? 'ok' : 'failed';
  };

  return {
    markDraining() {
      draining = true;
    },
    async check() {
      if (draining) {
        return { status: 'draining', checks: {} };
      }
      const [database, redis] = await Promise.all([checkDatabase(), checkRedis?.()]);
      const checks: ReadinessReport['checks'] = {};
      if (database.ok) {
        checks.database = note('database', database);
        const migrated: CheckResult<boolean> = database.value ? database : { ok: false, reason: `migration ${NEWEST_MIGRATION} has not been applied` };
        checks.migrations = note('migrations', migrated);
      } else {
        checks.database = note('database', database);
        checks.migrations = 'not_checked';
      }
      if (redis !== undefined) {
        checks.redis = note('redis', redis);
      }
      const failed = (Object.keys(checks) as CheckName[]).filter((name) => checks[name] === 'failed');
      return failed.length === 0 ? { status: 'ready', checks } : { status: 'not_ready', checks, failed };
    },
  };
}
