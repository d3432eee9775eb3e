import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/load.js';
import { importRecords } from '../../src/importer/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { buildApp } from '../../src/server/app.js';
import { openRuntime, type Runtime } from '../../src/server/runtime.js';
import { freePort } from './free-port.js';

export { freePort };

export interface RunningPropusk {
  issuer: string;
  runtime: Runtime;
  app: FastifyInstance;
  dataDir: string;
  stop(): Promise<void>;
}

export const DEMO_DATA = JSON.parse(readFileSync(new URL('../../src/demo/demo-data.json', import.meta.url), 'utf8')) as {
  services: Array<{ client_id: string; client_secret: string; redirect_uris: string[]; post_logout_redirect_uris: string[] }>;
  people: Array<{ id: string; phone?: string; email?: string; snils?: string; initial_password?: string }>;
};


/**
 * Start a real Propusk on a free loopback port with the demo school loaded
 * (but no demo relying party), on SQLite in a temp dir unless a database URL
 * is given.
 */
/** The demo school with the services' URLs moved to another relying-party origin. */
function demoDataFor(rpBase: string | undefined): unknown {
  const text = JSON.stringify(DEMO_DATA);
  return JSON.parse(rpBase === undefined ? text : text.replaceAll('http://localhost:3001', rpBase));
}

export async function startPropusk(
  options: { databaseUrl?: string; env?: Record<string, string>; rpBase?: string; logLines?: string[]; dataDir?: string; port?: number } = {},
): Promise<RunningPropusk> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'propusk-test-')));
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    PROPUSK_DATA_DIR: dataDir,
    PROPUSK_DEMO: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
    ...options.env,
  });
  const capture = options.logLines;
  const logger =
    capture === undefined
      ? createLogger({ level: config.logLevel, pretty: false })
      : createLogger({ level: 'debug', pretty: false }, { write: (line: string) => void capture.push(line) });
  const runtime = await openRuntime(config, logger);
  await importRecords(runtime.store, runtime, demoDataFor(options.rpBase));
  const app = await buildApp(runtime);
  await app.listen({ port, host: '127.0.0.1' });
  return {
    issuer: config.issuer,
    runtime,
    app,
    dataDir,
    async stop() {
      await app.close();
      await runtime.hashPool.close();
      await runtime.store.close();
      if (options.dataDir === undefined) {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}
