import { z } from 'zod';

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
  PROPUSK_TRUST_PROXY: setting(
    booleanFlag.default(false),
    'Set to `true` when Propusk runs behind a TLS-terminating reverse proxy, so that X-Forwarded-For gives the client address.',
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
    'Absolute lifetime of a single sign-on session, in seconds.',
  ),
  PROPUSK_SHARED_DEVICE_SESSION_TTL: setting(
    positiveSeconds.default(3600),
    'Lifetime of a session opened with «Чужой компьютер», in seconds; its cookie also ends with the browser.',
  ),
  PROPUSK_REFRESH_TOKEN_TTL: setting(
    positiveSeconds.default(30 * 24 * 3600),
    'Lifetime of a refresh token, in seconds.',
  ),
  PROPUSK_ACCESS_TOKEN_TTL: setting(positiveSeconds.default(600), 'Lifetime of an access token, in seconds.'),
  LOG_LEVEL: setting(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    'pino log level.',
  ),
} as const;

export type SettingName = keyof typeof settings;
