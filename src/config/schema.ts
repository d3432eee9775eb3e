import { z } from 'zod';
import { parseSentinelList } from '../redis/sentinels.js';
import { parseProxyList } from '../server/trusted-proxies.js';

/**
 * One entry per environment variable. The schema, the default and the
 * operator documentation all come from this table, so a default is written
 * exactly once.
 */
export interface Setting<T extends z.ZodType> {
  schema: T;
  description: string;
  example?: string;
}

function setting<T extends z.ZodType>(schema: T, description: string, example?: string): Setting<T> {
  return { schema, description, example };
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveSeconds = z.coerce.number({ error: 'must be a whole number of seconds' }).int('must be a whole number of seconds').positive('must be greater than 0');

const failureCount = z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be 0 or more');

const port = z.coerce
  .number({ error: 'must be a port number from 1 to 65535' })
  .int('must be a port number from 1 to 65535')
  .min(1, 'must be a port number from 1 to 65535')
  .max(65535, 'must be a port number from 1 to 65535');

export const settings = {
  NODE_ENV: setting(
    z.enum(['development', 'production', 'test']).default('development'),
    'Runtime mode. `production` turns off the demo data and the demo relying party and switches logs to JSON.',
  ),
  PORT: setting(port.default(3000), 'TCP port of the HTTP server.'),
  HOST: setting(
    z.string().min(1).default('127.0.0.1'),
    'Address the HTTP server listens on. Use `0.0.0.0` behind a load balancer or in a container.',
  ),
  PROPUSK_ISSUER: setting(
    z.url({ protocol: /^https?$/, error: 'must be an absolute http or https URL, such as https://login.school.example' }).optional(),
    'Public URL of Propusk, used as the OpenID issuer and for every link Propusk builds. Defaults to `http://localhost:PORT`. Must be https in production.',
    'https://login.school.example',
  ),
  DATABASE_URL: setting(
    z
      .string()
      .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres://, postgresql:// or sqlite:')
      .optional(),
    'PostgreSQL connection string (`postgres://user:password@host:5432/db`). Unset: the embedded SQLite file in the data directory. `sqlite:/path/file.sqlite` picks another SQLite file.',
    'postgres://propusk@db:5432/propusk',
  ),
  PROPUSK_DATA_DIR: setting(
    z.string().min(1).default('./data'),
    'Directory for the embedded SQLite database and the generated master key.',
  ),
  PROPUSK_MASTER_KEY: setting(
    z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=?$/, 'must be 32 random bytes in base64 (for example `openssl rand -base64 32`)')
      .optional(),
    'Master key (32 bytes, base64) that encrypts signing keys and client secrets at rest. Unset: generated once into `PROPUSK_DATA_DIR/master.key`. Required in production with PostgreSQL, where every node must share it.',
  ),
  PROPUSK_DEMO: setting(
    booleanFlag.optional(),
    'Load demo data and start the demo relying party. Defaults to `true` outside production; always `false` in production.',
  ),
  PROPUSK_DEMO_RP_PORT: setting(
    port.default(3001),
    'Port of the demo relying party (demo mode only).',
  ),
  PROPUSK_SESSION_TTL: setting(
    positiveSeconds.default(8 * 3600),
    'Absolute lifetime of a single sign-on session, in seconds, counted from the password login and enforced on the server: afterwards the person must log in again, whatever their activity. Signing in again restarts it. The default, 8 hours, is a school day and within the 24 hours that NIST SP 800-63B-4 recommends for AAL2.',
  ),
  PROPUSK_SHARED_DEVICE_SESSION_TTL: setting(
    positiveSeconds.default(3600),
    'Absolute lifetime of a session opened with «Чужой компьютер», in seconds, enforced on the server like PROPUSK_SESSION_TTL; its cookie also ends with the browser.',
  ),
  PROPUSK_REFRESH_TOKEN_TTL: setting(
    positiveSeconds.default(30 * 24 * 3600),
    'Lifetime of a refresh token, in seconds.',
  ),
  PROPUSK_ACCESS_TOKEN_TTL: setting(positiveSeconds.default(600), 'Lifetime of an access token, in seconds.'),
  PROPUSK_WORKERS: setting(
    z.coerce.number({ error: 'must be a whole number of processes' }).int('must be a whole number of processes').positive('must be greater than 0').optional(),
    'Number of server processes (node:cluster workers) `propusk start` runs on this machine; `propusk start --workers N` overrides it. Unset: one per CPU available to the process (`os.availableParallelism()`). With 1, the server runs in a single process without a cluster primary. `propusk start` sets it for each process it starts, and Propusk uses it to share the CPUs between the processes\' password hash threads; other commands count as one process.',
  ),
  PROPUSK_HASH_THREADS: setting(
    z.coerce.number({ error: 'must be a whole number of threads' }).int('must be a whole number of threads').positive('must be greater than 0').optional(),
    'Worker threads per process that compute argon2id password hashes. Unset: the number of CPUs available to the process (`os.availableParallelism()`) divided by PROPUSK_WORKERS, rounded down, at least 1.',
  ),
  PROPUSK_HASH_MAX_WAIT_MS: setting(
    z.coerce.number({ error: 'must be a whole number of milliseconds' }).int('must be a whole number of milliseconds').positive('must be greater than 0').default(500),
    'Longest expected wait, in milliseconds, for a free hash thread. A password check (login or password change) whose expected wait is longer is rejected at once with 503, Retry-After and a page asking to try again, instead of waiting in a queue that grows without bound during a login peak. The expected wait is (queued + running checks) / threads times the moving average of one check\'s duration. Single sign-on hops, token refreshes and logouts hash no password and are never rejected by it.',
  ),
  LOG_LEVEL: setting(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    'pino log level.',
  ),
  REDIS_URL: setting(
    z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
    'Redis connection string; Redis 7.0 or later, or Valkey. Set: oidc-provider\'s short-lived records (sessions, interactions, authorization codes, access tokens) and the failed-attempt counters of the throttling live in Redis, each with its lifetime as TTL, shared by every node. Grants and refresh tokens stay in the database. If Redis loses its data, everyone is signed out. While Redis is unreachable, requests that need it get 503 with Retry-After, and each node reconnects by itself. Unset: everything lives in the database, which PostgreSQL shares between nodes.',
    'redis://redis:6379/0',
  ),
  PROPUSK_REDIS_SENTINELS: setting(
    z
      .string()
      .transform((value, context) => {
        const list = parseSentinelList(value);
        if (!list.ok) {
          context.addIssue({ code: 'custom', message: `not a host:port address: ${list.invalid.join(', ')} (write host:port, or [IPv6]:port, separated by commas)` });
          return z.NEVER;
        }
        return list.addresses;
      })
      .optional(),
    'Redis Sentinel addresses, comma-separated `host:port`. Set together with PROPUSK_REDIS_SENTINEL_MASTER: each connection asks the sentinels for the current master and follows a failover by itself. REDIS_URL then supplies only the master\'s user name, password, database number and TLS (rediss://); its host and port are not used. The connections to the sentinels themselves are plain TCP.',
    'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379',
  ),
  PROPUSK_REDIS_SENTINEL_MASTER: setting(
    z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits or . _ -').optional(),
    'Name of the master that the sentinels monitor: the name in their `sentinel monitor NAME host port quorum` line.',
    'propusk',
  ),
  PROPUSK_REDIS_SENTINEL_PASSWORD: setting(
    z.string().min(1).optional(),
    'Password of the sentinels themselves (their `requirepass`), when they have one. The master\'s password goes into REDIS_URL.',
  ),
  PROPUSK_REDIS_PREFIX: setting(
    z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1 to 64 letters, digits or : _ . -').default('propusk:'),
    'Prefix of every Redis key Propusk writes, so that several installations or test runs can share one Redis database. Every node of one installation must use the same prefix.',
    'propusk:',
  ),
  PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: setting(
    failureCount.max(100, 'must be at most 100: NIST SP 800-63B allows no more consecutive failures per account').default(5),
    'Failed passwords per login (each reading of the typed identifier) that get no delay. Each further failure doubles the wait, from PROPUSK_THROTTLE_FIRST_DELAY up to PROPUSK_THROTTLE_MAX_DELAY; a success starts the count again. Five forgive the usual typos and Caps Lock. With the default delays an attacker gets one guess per 15 minutes once the wait reaches its cap, about 105 in the first day per identifier. Failures are counted per identifier so that a delay does not link the phone, e-mail and СНИЛС of one person; a person with all three thus allows three times that. At most 100, the limit of NIST SP 800-63B on consecutive failures.',
  ),
  PROPUSK_THROTTLE_ACCOUNT_RESET: setting(
    positiveSeconds.default(24 * 3600),
    'Seconds without a failed attempt after which the failures of a login, or a service\'s failed client authentications, are forgotten. Must be at least PROPUSK_THROTTLE_MAX_DELAY.',
  ),
  PROPUSK_THROTTLE_FIRST_DELAY: setting(
    positiveSeconds.default(30),
    'Wait in seconds after the first failure beyond the free ones; it doubles with each further failure.',
  ),
  PROPUSK_THROTTLE_MAX_DELAY: setting(
    positiveSeconds.default(15 * 60),
    'Longest wait in seconds. Delays replace a lockout: nobody can lock a person out for longer than this by typing wrong passwords.',
  ),
  PROPUSK_THROTTLE_IP_FREE_FAILURES: setting(
    failureCount.default(100),
    'Failed attempts from one client address per PROPUSK_THROTTLE_IP_WINDOW without delay. High, because a whole school often shares one address behind its NAT; it stops one address from trying passwords for many accounts.',
  ),
  PROPUSK_THROTTLE_NETWORK_FREE_FAILURES: setting(
    failureCount.default(500),
    'Failed attempts from one network (IPv4 /24, IPv6 /64) per PROPUSK_THROTTLE_IP_WINDOW without delay. Catches an attacker who rotates addresses inside one network. Set well above the per-address limit because many unrelated people can share one network, for example a mobile carrier\'s customers; the default is an estimate, not a measurement.',
  ),
  PROPUSK_THROTTLE_IP_WINDOW: setting(
    positiveSeconds.default(15 * 60),
    'Length in seconds of the fixed window of the per-address and per-network counters, counted from the first failure.',
  ),
  PROPUSK_THROTTLE_CLIENT_FREE_FAILURES: setting(
    failureCount.default(10),
    'Failed client authentications (a wrong client secret) per service at the token, introspection, revocation and pushed authorization endpoints without delay; a success starts the count again. Client ids that name no registered service share one count per network.',
  ),
  PROPUSK_THROTTLE_CLIENT_GRANT_FREE_FAILURES: setting(
    failureCount.default(1000),
    'Rejected authorization codes and refresh tokens per authenticated service per PROPUSK_THROTTLE_IP_WINDOW without delay. High, because a busy service legitimately presents many expired or revoked refresh tokens.',
  ),
  PROPUSK_TRUSTED_PROXIES: setting(
    z
      .string()
      .transform((value, context) => {
        const list = parseProxyList(value);
        if (!list.ok) {
          context.addIssue({ code: 'custom', message: `not an IP address or CIDR range: ${list.invalid.join(', ')}` });
          return z.NEVER;
        }
        return list.entries;
      })
      .optional(),
    'Comma-separated IP addresses and CIDR ranges of the reverse proxies in front of Propusk. X-Forwarded-For is read only on connections from these addresses: walked from the right, the first address that is not a trusted proxy is the client. Unset: X-Forwarded-For is ignored and the connection\'s address is the client.',
    '10.0.0.0/8, 192.0.2.10, 2001:db8::/32',
  ),
  PROPUSK_SESSION_IDLE_TTL: setting(
    positiveSeconds.default(3600),
    'Idle timeout of a single sign-on session, in seconds: a session whose browser has not used Propusk (a login or a service opened through it, or Propusk\'s own pages) for this long is ended on the server, and the person logs in again. A service\'s own use of its tokens does not count as activity. The default, 1 hour, is what NIST SP 800-63B-4 recommends for AAL2. A «Чужой компьютер» session ends at the shorter of this and PROPUSK_SHARED_DEVICE_SESSION_TTL.',
  ),
  PROPUSK_BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: setting(
    z.coerce
      .number({ error: 'must be a whole number from 1 to 30' })
      .int('must be a whole number from 1 to 30')
      .min(1, 'must be a whole number from 1 to 30')
      .max(30, 'must be a whole number from 1 to 30')
      .default(10),
    'Attempts, the first included, to deliver one back-channel logout to a service before it is marked failed. With the default delays, 10 attempts span about 1.5 hours.',
  ),
  PROPUSK_BACKCHANNEL_LOGOUT_RETRY_DELAY: setting(
    positiveSeconds.default(10),
    'Seconds before the second attempt of a back-channel logout. Each later attempt waits twice as long as the one before, at most one hour, plus up to 20% at random.',
  ),
  PROPUSK_BACKCHANNEL_LOGOUT_TIMEOUT: setting(
    positiveSeconds.default(5),
    'Seconds a service has to answer one back-channel logout request before the attempt counts as failed.',
  ),
  PROPUSK_AUDIT_RETENTION_DAYS: setting(
    z.coerce.number({ error: 'must be a whole number of days' }).int('must be a whole number of days').positive('must be greater than 0').default(365),
    'Days an audit record (sign-ins, failures, logouts, role switches, password changes, imports, key rotations) is kept. Older records are removed by the housekeeping task every 10 minutes; the hash chain stays verifiable because the hash of the last removed record is kept as its starting point.',
  ),
  PROPUSK_SHUTDOWN_TIMEOUT: setting(
    positiveSeconds.default(10),
    'Seconds a process has after SIGTERM or SIGINT to finish the requests in flight, stop its background work and close the database and Redis. It then exits with status 0; if that takes longer, it exits with status 1 and logs the overrun. Keep it below the orchestrator\'s grace period (30 s in Kubernetes) and above the slowest request you expect.',
  ),
  PROPUSK_METRICS_TOKEN: setting(
    z.string().regex(/^[\x21-\x7e]{32,}$/, 'must be at least 32 printable characters without spaces (for example `openssl rand -base64 32`)').optional(),
    'Bearer token that Prometheus presents to scrape `/metrics` (`Authorization: Bearer …`). Unset: `/metrics` answers 404, so the metrics are never public by default. With cluster workers one scrape returns the sum over all workers of the node.',
  ),
} as const;

export type SettingName = keyof typeof settings;
