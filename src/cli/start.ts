import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { loadDemo, type DemoHandle } from '../demo/start-demo.js';
import { startIdentifierReencryption } from '../keys/identifier-reencryption.js';
import { buildApp } from '../server/app.js';
import { startHousekeeping } from '../server/housekeeping.js';
import { openRuntime } from '../server/runtime.js';

/** `propusk start`: serve until SIGINT or SIGTERM, then finish requests in flight and close. */
export async function startCommand(config: Config, logger: Logger): Promise<void> {
  const runtime = await openRuntime(config, logger);
  const app = await buildApp(runtime);
  const housekeeping = startHousekeeping(runtime.store, logger, config.auditRetentionDays);
  const reencryption = startIdentifierReencryption(runtime.store, runtime.identifiers, logger);
  let demo: DemoHandle | undefined;
  try {
    await app.listen({ port: config.port, host: config.host });
    logger.info({ issuer: config.issuer, discovery: `${config.issuer}/.well-known/openid-configuration` }, 'Propusk is listening');
    if (config.demo) {
      demo = await loadDemo(runtime);
    }
  } catch (error) {
    await app.close();
    await runtime.store.close();
    throw error;
  }

  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    housekeeping.stop();
    await reencryption.stop();
    await demo?.close();
    await app.close();
    await runtime.store.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
