import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { loadDemo, type DemoHandle } from '../demo/start-demo.js';
import { serveClusterMetrics } from '../metrics/cluster-metrics.js';
import { startHousekeeping } from '../server/housekeeping.js';
import { openRuntime } from '../server/runtime.js';
import { createWorkerSlots } from './worker-slots.js';

/** Extra time the primary gives its workers beyond their own shutdown deadline before it kills them. */
const KILL_MARGIN_MS = 5000;

/**
 * The cluster primary of `propusk start --workers N`. It serves no HTTP itself:
 *
 * 1. Prepares the database once, before any worker exists: migrations, data
 *    migrations, the master key and signing keys (openRuntime). In demo mode
 *    it also imports the demo school and starts the demo relying party, whose
 *    sessions live in memory and so must live in one process. Workers then
 *    find everything in place and never race to create it.
 * 2. Forks N workers that each build the app and listen on the shared port,
 *    and replaces a worker that dies, after a growing delay. The workers
 *    accept connections from the shared socket themselves (SCHED_NONE): with
 *    node:cluster's default round-robin, the primary accepts and hands each
 *    connection over, and one handed to a worker that just died stays open
 *    in the primary with no response (nodejs/node#21746).
 * 3. Runs the housekeeping timer, once per node instead of once per worker.
 * 4. Aggregates the workers' metrics for /metrics (src/metrics/cluster-metrics.ts).
 * 5. On SIGTERM or SIGINT, forwards SIGTERM to every worker, waits until all
 *    have exited, and exits with status 0 when each of them did.
 */
export async function runClusterPrimary(config: Config, logger: Logger, count: number): Promise<void> {
  const runtime = await openRuntime(config, logger);
  let demo: DemoHandle | undefined;
  try {
    if (config.demo) {
      demo = await loadDemo(runtime);
    }
  } catch (error) {
    await runtime.hashPool.close();
    await runtime.store.close();
    throw error;
  }
  // The primary hashes no passwords after the demo import, so its hash threads go.
  await runtime.hashPool.close();

  // Each worker inherits the environment, PROPUSK_WORKERS included, and runs `propusk start` again.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const slots = createWorkerSlots({ count, logger, fork: () => cluster.fork() });
  serveClusterMetrics(() => slots.listening(), logger);
  let housekeeping: { stop(): void } | undefined;

  const closeAll = async (status: number): Promise<never> => {
    housekeeping?.stop();
    await demo?.close().catch((error: unknown) => logger.error({ err: error }, 'closing the demo relying party failed'));
    await runtime.store.close().catch((error: unknown) => logger.error({ err: error }, 'closing the database failed'));
    process.exit(status);
  };

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal, workers: slots.live().length }, 'shutting down: stopping the workers gracefully');
    const deadline = setTimeout(() => {
      logger.error({ pids: slots.live().map((worker) => worker.process.pid) }, 'workers did not exit within PROPUSK_SHUTDOWN_TIMEOUT; killing them');
      for (const worker of slots.live()) {
        worker.process.kill('SIGKILL');
      }
    }, config.shutdownTimeout * 1000 + KILL_MARGIN_MS);
    const clean = await slots.stopAll();
    clearTimeout(deadline);
    logger.info({ clean }, 'all workers have exited');
    await closeAll(clean ? 0 : 1);
  };
  // Ctrl-C in a terminal also reaches the workers directly; they ignore the forwarded SIGTERM that follows.
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));

  try {
    await slots.start();
  } catch (error) {
    if (!stopping) {
      stopping = true;
      logger.error({ err: error }, 'a worker failed to start; stopping the others');
      await slots.stopAll();
      await closeAll(1);
    }
    return;
  }
  if (stopping) {
    return;
  }
  housekeeping = startHousekeeping(runtime.store, logger, config.auditRetentionDays);
  logger.info({ issuer: config.issuer, workers: count, discovery: `${config.issuer}/.well-known/openid-configuration` }, 'Propusk is listening');
  demo?.announce();
}
