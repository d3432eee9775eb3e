import cluster from 'node:cluster';
import os from 'node:os';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/load.js';
import { loadDemo, type DemoHandle } from '../demo/start-demo.js';
import { InputError } from '../errors/index.js';
import { startIdentifierReencryption } from '../keys/identifier-reencryption.js';
import { buildApp } from '../server/app.js';
import { startHousekeeping } from '../server/housekeeping.js';
import { exitOnShutdownSignal } from '../server/ops/shutdown.js';
import { openRuntime } from '../server/runtime.js';
import { runClusterPrimary } from './cluster.js';
import { parseWorkerCount } from './worker-count.js';

/** Parse `--workers N` or `--workers=N`, returning undefined when the option is absent. */
export function parseWorkersOption(args: readonly string[]): number | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--workers') {
      value = args[i + 1] ?? '';
      i += 1;
    } else if (arg.startsWith('--workers=')) {
      value = arg.slice('--workers='.length);
    } else {
      throw new InputError(`Unknown option "${arg}" for \`propusk start\`: the only option is --workers N`);
    }
  }
  return value === undefined ? undefined : parseWorkerCount(value);
}


/**
 * Run `propusk start [--workers N]`. With one worker, serve in this process.
 * With more, become the cluster primary and fork them (src/cli/cluster.ts).
 * A forked worker runs this command again and serves.
 */
export async function startCommand(config: Config, logger: Logger, args: readonly string[]): Promise<void> {
  if (cluster.isWorker) {
    return serve(config, logger, { primaryTasks: false }).catch((error: unknown) => {
      // The IPC channel to the primary keeps a worker alive. Closing it lets a worker
      // that failed to start exit, with the status that main.ts sets.
      cluster.worker?.disconnect();
      throw error;
    });
  }
  const workers = parseWorkersOption(args) ?? config.workers ?? os.availableParallelism();
  // Every process, this one included, must see the same count, which sizes the password-hash threads.
  process.env.PROPUSK_WORKERS = String(workers);
  const effective = config.workers === workers ? config : loadConfig();
  if (workers === 1) {
    return serve(effective, logger, { primaryTasks: true });
  }
  return runClusterPrimary(effective, logger, workers);
}

interface ServeOptions {
  /**
   * Run the tasks that need one process per node: housekeeping and the demo.
   * A cluster's primary runs them, so its workers do not.
   */
  primaryTasks: boolean;
}

/** Serve until SIGINT or SIGTERM, then shut down gracefully (src/server/ops/shutdown.ts). */
async function serve(config: Config, logger: Logger, options: ServeOptions): Promise<void> {
  const runtime = await openRuntime(config, logger);
  const app = await buildApp(runtime).catch(async (error: unknown) => {
    await runtime.hashPool.close();
    await runtime.store.close();
    throw error;
  });
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    await runtime.hashPool.close();
    await runtime.store.close();
    throw error;
  }
  // Every process runs it, not only one per node: it also reloads the data keys, so a
  // process stops writing with a key that `propusk keys rotate-data` has replaced.
  const reencryption = startIdentifierReencryption(runtime.store, runtime.identifiers, logger);
  const housekeeping = options.primaryTasks ? startHousekeeping(runtime.store, logger, config.auditRetentionDays) : undefined;
  let demo: DemoHandle | undefined;
  if (options.primaryTasks && config.demo) {
    demo = await loadDemo(runtime);
  }
  if (options.primaryTasks) {
    logger.info({ issuer: config.issuer, discovery: `${config.issuer}/.well-known/openid-configuration` }, 'Propusk is listening');
    demo?.announce();
  }

  exitOnShutdownSignal({
    logger,
    timeoutMs: config.shutdownTimeout * 1000,
    steps: [
      { name: 'stop housekeeping', run: () => housekeeping?.stop() },
      { name: 'close the demo relying party', run: () => demo?.close() },
      // Marks /readyz draining, stops accepting, waits for the requests in flight, then
      // stops the back-channel logout worker and closes the Redis connections.
      { name: 'close the HTTP server', run: () => app.close() },
      // NOTE: waits for a re-encryption pass in progress, which during a data key rotation can
      // outlast the deadline. Abandoning it is safe, because each batch commits on its own.
      { name: 'stop identifier re-encryption', run: () => reencryption.stop() },
      { name: 'close the password-hash pool', run: () => runtime.hashPool.close() },
      { name: 'close the database', run: () => runtime.store.close() },
    ],
  });
}
