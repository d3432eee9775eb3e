// A real Propusk for the benchmark: the bench dataset imported with
// `propusk import`, then `propusk start` as a child process in production
// mode on a free loopback port.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PROJECT_ROOT, runNode, spawnNode, TSX_ARGS, waitUntilReady, type ChildServer } from './child-process.js';
import { processTreeCpuSeconds, processTreeSize } from './cpu.js';
import { WEB_REDIRECT_URI, type BenchDataset } from './dataset.js';
import { HttpTarget } from './http.js';
import type { BenchStore } from './stores.js';
import type { BenchTarget } from './target.js';
import { freePort } from '../test/helpers/free-port.js';

export { freePort };

const CLI = path.join(PROJECT_ROOT, 'src/cli/main.ts');

/** Generate a random PROPUSK_MASTER_KEY: 32 bytes in base64. */
export function newMasterKey(): string {
  return randomBytes(32).toString('base64');
}


export interface PropuskOptions {
  store: BenchStore;
  dataset: BenchDataset;
  datasetFile: string;
  /** Directory for the SQLite file, the master key and the server's log. */
  workDir: string;
  /** Value of `propusk start --workers`. Unset leaves the server's default. */
  workers?: number;
  logLevel: string;
  /** Write a V8 CPU profile of each server process into this directory when it exits. */
  cpuProfileDir?: string;
  /** HTTP connections of the load generator. */
  connections: number;
  /** PROPUSK_MASTER_KEY, which every server started on the same store needs. */
  masterKey: string;
}

export interface RunningPropusk {
  target: BenchTarget;
  server: ChildServer;
  /** The exact commands, for the report. */
  commands: string[];
  stop(): Promise<void>;
}

/**
 * Environment of the server. Production mode logs JSON, as in operation.
 * The issuer is https while the loopback connection is plain http, as behind
 * a load balancer that terminates TLS, so the cookies are the production ones.
 */
function serverEnv(options: PropuskOptions, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  return {
    ...env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PROPUSK_ISSUER: `https://127.0.0.1:${port}`,
    PROPUSK_DATA_DIR: options.workDir,
    PROPUSK_MASTER_KEY: options.masterKey,
    LOG_LEVEL: options.logLevel,
    ...options.store.env,
  };
}

export async function startPropusk(options: PropuskOptions): Promise<RunningPropusk> {
  const port = await freePort();
  const env = serverEnv(options, port);
  const logFile = path.join(options.workDir, 'propusk.log');
  const importArgs = [...TSX_ARGS, CLI, 'import', options.datasetFile];
  await runNode(importArgs, env, logFile);

  const profileArgs = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir];
  const workerArgs = options.workers === undefined ? [] : ['--workers', String(options.workers)];
  const startArgs = [...profileArgs, ...TSX_ARGS, CLI, 'start', ...workerArgs];
  const server = spawnNode(startArgs, env, logFile);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(server, `${baseUrl}/.well-known/openid-configuration`);

  const http = new HttpTarget(baseUrl, `https://127.0.0.1:${port}`, options.connections);
  const target: BenchTarget = {
    label: `Propusk, ${options.store.label}`,
    http,
    web: options.dataset.web,
    machine: options.dataset.machine,
    people: options.dataset.people,
    redirectUri: WEB_REDIRECT_URI,
    serverCpuSeconds: () => processTreeCpuSeconds(server.pid),
    serverProcesses: () => processTreeSize(server.pid),
  };
  return {
    target,
    server,
    commands: [displayCommand(importArgs), displayCommand(startArgs)],
    async stop() {
      await http.close();
      await server.stop();
    },
  };
}

/** Format a command line for the report, with project files relative and temporary files under $WORK. */
function displayCommand(args: string[]): string {
  const displayed = args.map((arg) => {
    if (arg.startsWith(PROJECT_ROOT)) return path.relative(PROJECT_ROOT, arg);
    return path.isAbsolute(arg) ? `$WORK/${path.basename(arg)}` : arg;
  });
  return `node ${displayed.join(' ')}`;
}
