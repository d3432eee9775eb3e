import type { Logger } from 'pino';

/** One step of a graceful shutdown, run in list order. */
export interface ShutdownStep {
  name: string;
  run(): Promise<void> | void;
}

export interface GracefulShutdownOptions {
  logger: Logger;
  /** Time for all steps; past it the process exits with status 1. */
  timeoutMs: number;
  steps: readonly ShutdownStep[];
}

/**
 * On SIGTERM or SIGINT, run the steps in order and exit with status 0, or 1
 * when a step failed or the deadline passed first. A repeated SIGTERM is
 * ignored, so an orchestrator that signals twice does not cut the drain
 * short. A second SIGINT (Ctrl-C again) exits at once.
 */
export function exitOnShutdownSignal(options: GracefulShutdownOptions): void {
  const { logger, timeoutMs } = options;
  let current: string | undefined;

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (current !== undefined) {
      if (signal === 'SIGINT') {
        logger.warn({ signal, step: current }, 'second interrupt: exiting without finishing the shutdown');
        process.exit(1);
      }
      logger.info({ signal, step: current }, 'shutdown already in progress');
      return;
    }
    current = 'starting';
    logger.info({ signal, timeoutMs }, 'shutting down: finishing the requests in flight');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs, step: current }, 'shutdown did not finish within PROPUSK_SHUTDOWN_TIMEOUT; exiting with status 1');
      process.exit(1);
    }, timeoutMs);

    let failed = false;
    for (const step of options.steps) {
      current = step.name;
      try {
        await step.run();
      } catch (error) {
        failed = true;
        logger.error({ err: error, step: step.name }, 'shutdown step failed; continuing with the next');
      }
    }
    clearTimeout(deadline);
    logger.info({ status: failed ? 1 : 0 }, 'shutdown complete');
    process.exit(failed ? 1 : 0);
  };

  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
}
