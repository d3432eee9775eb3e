import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import type { RedisSentinelSettings } from '../redis/sentinels.js';
import { settings, type SettingName } from './schema.js';

type Raw = { [K in SettingName]: z.output<(typeof settings)[K]['schema']> };

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  issuer: string;
  databaseUrl: string | undefined;
  dataDir: string;
  masterKey: string | undefined;
  /** IP addresses and CIDR ranges of the reverse proxies whose X-Forwarded-For entries count. */
  trustedProxies: string[];
  demo: boolean;
  demoRelyingPartyPort: number;
  sessionTtl: number;
  sharedDeviceSessionTtl: number;
  refreshTokenTtl: number;
  accessTokenTtl: number;
  logLevel: Raw['LOG_LEVEL'];
  redisUrl: string | undefined;
  /** Set when Redis is reached through Sentinel; REDIS_URL then gives only the master's credentials, database and TLS. */
  redisSentinel: RedisSentinelSettings | undefined;
  /** Prefix of every Redis key, such as `propusk:`. */
  redisPrefix: string;
  /** Failed-attempt throttling; times in seconds. */
  throttle: {
    accountFreeFailures: number;
    accountReset: number;
    firstDelay: number;
    maxDelay: number;
    ipFreeFailures: number;
    networkFreeFailures: number;
    ipWindow: number;
    clientFreeFailures: number;
    clientGrantFreeFailures: number;
  };
  /** Idle timeout of a single sign-on session, in seconds. */
  sessionIdleTtl: number;
  backchannelLogoutMaxAttempts: number;
  /** Seconds before the second delivery attempt of a back-channel logout. */
  backchannelLogoutRetryDelay: number;
  /** Time limit, in seconds, of one back-channel logout request. */
  backchannelLogoutTimeout: number;
  /** Days an audit record is kept before housekeeping removes it. */
  auditRetentionDays: number;
  /** Worker threads that compute password hashes in this process. */
  hashThreads: number;
  /** Longest expected wait for a hash thread, in milliseconds, before a password check is rejected with 503. */
  hashMaxWaitMs: number;
  /** Server processes of `propusk start`; undefined means one per CPU. */
  workers: number | undefined;
  /** Seconds a process has to shut down gracefully before it exits with status 1. */
  shutdownTimeout: number;
  /** Bearer token of /metrics; undefined turns the endpoint off. */
  metricsToken: string | undefined;
}

/** Validate the environment; the error names every invalid variable and why. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = {} as Record<string, unknown>;
  const problems: string[] = [];

  for (const [name, entry] of Object.entries(settings)) {
    const input = env[name] === '' ? undefined : env[name];
    const result = entry.schema.safeParse(input);
    if (result.success) {
      raw[name] = result.data;
    } else {
      const reason = result.error.issues.map((issue) => issue.message).join('; ');
      problems.push(`${name}: ${reason}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }

  return finish(raw as Raw, problems);
}

function finish(raw: Raw, problems: string[]): Config {
  const production = raw.NODE_ENV === 'production';
  const issuer = (raw.PROPUSK_ISSUER ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, '');

  if (production && !issuer.startsWith('https://')) {
    problems.push('PROPUSK_ISSUER: must be an https URL when NODE_ENV=production');
  }
  if (production && raw.DATABASE_URL?.startsWith('postgres') && raw.PROPUSK_MASTER_KEY === undefined) {
    problems.push('PROPUSK_MASTER_KEY: required when NODE_ENV=production and DATABASE_URL is PostgreSQL, so that every node shares it');
  }
  if (raw.PROPUSK_THROTTLE_MAX_DELAY < raw.PROPUSK_THROTTLE_FIRST_DELAY) {
    problems.push('PROPUSK_THROTTLE_MAX_DELAY: must be at least PROPUSK_THROTTLE_FIRST_DELAY');
  }
  if (raw.PROPUSK_THROTTLE_ACCOUNT_RESET < raw.PROPUSK_THROTTLE_MAX_DELAY) {
    problems.push('PROPUSK_THROTTLE_ACCOUNT_RESET: must be at least PROPUSK_THROTTLE_MAX_DELAY, or failures would be forgotten before the wait ends');
  }
  const redisSentinel = sentinelSettings(raw, problems);
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }

  return {
    env: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST,
    issuer,
    databaseUrl: raw.DATABASE_URL,
    dataDir: path.resolve(raw.PROPUSK_DATA_DIR),
    masterKey: raw.PROPUSK_MASTER_KEY,
    trustedProxies: raw.PROPUSK_TRUSTED_PROXIES ?? [],
    demo: production ? false : (raw.PROPUSK_DEMO ?? true),
    demoRelyingPartyPort: raw.PROPUSK_DEMO_RP_PORT,
    sessionTtl: raw.PROPUSK_SESSION_TTL,
    sharedDeviceSessionTtl: raw.PROPUSK_SHARED_DEVICE_SESSION_TTL,
    refreshTokenTtl: raw.PROPUSK_REFRESH_TOKEN_TTL,
    accessTokenTtl: raw.PROPUSK_ACCESS_TOKEN_TTL,
    logLevel: raw.LOG_LEVEL,
    redisUrl: raw.REDIS_URL,
    redisSentinel,
    redisPrefix: raw.PROPUSK_REDIS_PREFIX,
    throttle: {
      accountFreeFailures: raw.PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES,
      accountReset: raw.PROPUSK_THROTTLE_ACCOUNT_RESET,
      firstDelay: raw.PROPUSK_THROTTLE_FIRST_DELAY,
      maxDelay: raw.PROPUSK_THROTTLE_MAX_DELAY,
      ipFreeFailures: raw.PROPUSK_THROTTLE_IP_FREE_FAILURES,
      networkFreeFailures: raw.PROPUSK_THROTTLE_NETWORK_FREE_FAILURES,
      ipWindow: raw.PROPUSK_THROTTLE_IP_WINDOW,
      clientFreeFailures: raw.PROPUSK_THROTTLE_CLIENT_FREE_FAILURES,
      clientGrantFreeFailures: raw.PROPUSK_THROTTLE_CLIENT_GRANT_FREE_FAILURES,
    },
    sessionIdleTtl: raw.PROPUSK_SESSION_IDLE_TTL,
    backchannelLogoutMaxAttempts: raw.PROPUSK_BACKCHANNEL_LOGOUT_MAX_ATTEMPTS,
    backchannelLogoutRetryDelay: raw.PROPUSK_BACKCHANNEL_LOGOUT_RETRY_DELAY,
    backchannelLogoutTimeout: raw.PROPUSK_BACKCHANNEL_LOGOUT_TIMEOUT,
    auditRetentionDays: raw.PROPUSK_AUDIT_RETENTION_DAYS,
    hashThreads: raw.PROPUSK_HASH_THREADS ?? Math.max(1, Math.floor(os.availableParallelism() / (raw.PROPUSK_WORKERS ?? 1))),
    hashMaxWaitMs: raw.PROPUSK_HASH_MAX_WAIT_MS,
    workers: raw.PROPUSK_WORKERS,
    shutdownTimeout: raw.PROPUSK_SHUTDOWN_TIMEOUT,
    metricsToken: raw.PROPUSK_METRICS_TOKEN,
  };
}

/** Read the Sentinel settings, which come as a pair and need REDIS_URL for the master's credentials. */
function sentinelSettings(raw: Raw, problems: string[]): RedisSentinelSettings | undefined {
  const sentinels = raw.PROPUSK_REDIS_SENTINELS;
  const master = raw.PROPUSK_REDIS_SENTINEL_MASTER;
  if (sentinels === undefined && master === undefined) {
    if (raw.PROPUSK_REDIS_SENTINEL_PASSWORD !== undefined) {
      problems.push('PROPUSK_REDIS_SENTINEL_PASSWORD: set without PROPUSK_REDIS_SENTINELS; set both, or remove it');
    }
    return undefined;
  }
  if (sentinels === undefined) {
    problems.push('PROPUSK_REDIS_SENTINELS: required with PROPUSK_REDIS_SENTINEL_MASTER (the sentinels\' host:port list)');
    return undefined;
  }
  if (master === undefined) {
    problems.push('PROPUSK_REDIS_SENTINEL_MASTER: required with PROPUSK_REDIS_SENTINELS (the name in the sentinels\' `sentinel monitor` line)');
    return undefined;
  }
  if (raw.REDIS_URL === undefined) {
    problems.push('REDIS_URL: required with PROPUSK_REDIS_SENTINELS, for the master\'s password and database; its host and port are not used (for example redis://:PASSWORD@master/0)');
    return undefined;
  }
  return { sentinels, master, ...(raw.PROPUSK_REDIS_SENTINEL_PASSWORD === undefined ? {} : { password: raw.PROPUSK_REDIS_SENTINEL_PASSWORD }) };
}
