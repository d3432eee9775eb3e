// The comparison servers as benchmark targets: the trivial node:http server
// and bare oidc-provider, each a child process whose CPU time is measured.
import path from 'node:path';
import { PROJECT_ROOT, spawnNode, TSX_ARGS, waitUntilReady, type ChildServer } from '../child-process.js';
import { processTreeCpuSeconds, processTreeSize } from '../cpu.js';
import { WEB_REDIRECT_URI, type BenchDataset } from '../dataset.js';
import { HttpTarget } from '../http.js';
import { freePort } from '../propusk-server.js';
import type { BenchTarget } from '../target.js';

export interface RunningCeilingServer {
  target: BenchTarget;
  server: ChildServer;
  stop(): Promise<void>;
}

async function startChild(label: string, script: string, env: NodeJS.ProcessEnv, dataset: BenchDataset, workDir: string, connections: number, readyPath: string): Promise<RunningCeilingServer> {
  const port = await freePort();
  const logFile = path.join(workDir, `${path.basename(script, '.ts')}.log`);
  const server = spawnNode([...TSX_ARGS, path.join(PROJECT_ROOT, script), String(port)], env, logFile);
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilReady(server, `${origin}${readyPath}`);
  const http = new HttpTarget(origin, origin, connections);
  return {
    target: {
      label,
      http,
      web: dataset.web,
      machine: dataset.machine,
      // The bare provider signs in without a form, so no person is needed.
      people: [],
      redirectUri: WEB_REDIRECT_URI,
      serverCpuSeconds: () => processTreeCpuSeconds(server.pid),
      serverProcesses: () => processTreeSize(server.pid),
    },
    server,
    async stop() {
      await http.close();
      await server.stop();
    },
  };
}

export function startTrivialServer(dataset: BenchDataset, workDir: string, connections: number): Promise<RunningCeilingServer> {
  return startChild('trivial node:http server', 'bench/ceilings/trivial-server.ts', process.env, dataset, workDir, connections, '/');
}

export function startBareProvider(dataset: BenchDataset, workDir: string, connections: number): Promise<RunningCeilingServer> {
  const env = { ...process.env, NODE_ENV: 'production', BENCH_WEB_SECRET: dataset.web.clientSecret, BENCH_MACHINE_SECRET: dataset.machine.clientSecret };
  return startChild('bare oidc-provider', 'bench/ceilings/bare-provider-server.ts', env, dataset, workDir, connections, '/.well-known/openid-configuration');
}
