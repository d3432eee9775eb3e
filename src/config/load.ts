import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
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
  trustProxy: boolean;
  demo: boolean;
  demoRelyingPartyPort: number;
  sessionTtl: number;
  sharedDeviceSessionTtl: number;
  refreshTokenTtl: number;
  accessTokenTtl: number;
  logLevel: Raw['LOG_LEVEL'];
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
    trustProxy: raw.PROPUSK_TRUST_PROXY,
    demo: production ? false : (raw.PROPUSK_DEMO ?? true),
    demoRelyingPartyPort: raw.PROPUSK_DEMO_RP_PORT,
    sessionTtl: raw.PROPUSK_SESSION_TTL,
    sharedDeviceSessionTtl: raw.PROPUSK_SHARED_DEVICE_SESSION_TTL,
    refreshTokenTtl: raw.PROPUSK_REFRESH_TOKEN_TTL,
    accessTokenTtl: raw.PROPUSK_ACCESS_TOKEN_TTL,
    logLevel: raw.LOG_LEVEL,
  };
}
