import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { Store } from '../storage/database.js';
import { insertLogouts } from './queue-store.js';
import type { LogoutReason, LogoutTarget, LogoutTokenIssuer } from './types.js';
import { startLogoutWorker } from './worker.js';

export interface BackchannelLogoutParts {
  config: Config;
  store: Store;
  logger: Logger;
  issueLogoutToken: LogoutTokenIssuer;
}

/** The back-channel logout of one Propusk process: its queue writer and its delivery worker. */
export interface BackchannelLogout {
  /** Queue one delivery and wake this process's worker. Resolves once the row is stored. */
  enqueue(target: LogoutTarget, reason: LogoutReason): Promise<void>;
  /** Wake the worker, e.g. after rows were queued through enqueueLogoutForSessions or enqueueLogoutForEndedSessions. */
  wake(): void;
  /** Stop the worker and wait for the deliveries in flight. */
  stop(): Promise<void>;
}

/** Start delivering queued back-channel logouts in this process. */
export function startBackchannelLogout(parts: BackchannelLogoutParts): BackchannelLogout {
  const { config, store } = parts;
  const worker = startLogoutWorker({
    store,
    logger: parts.logger.child({ component: 'backchannel-logout' }),
    issueLogoutToken: parts.issueLogoutToken,
    maxAttempts: config.backchannelLogoutMaxAttempts,
    retryDelayMs: config.backchannelLogoutRetryDelay * 1000,
    timeoutMs: config.backchannelLogoutTimeout * 1000,
  });
  return {
    async enqueue(target, reason) {
      await insertLogouts(store.db, [target], reason, Date.now());
      worker.wake();
    },
    wake: () => worker.wake(),
    stop: () => worker.stop(),
  };
}
