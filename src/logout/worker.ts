import type { Logger } from 'pino';
import type { Store } from '../storage/database.js';
import { describeDeliveryError, postLogoutToken } from './deliver.js';
import { claimDueLogouts, markDelivered, markFailed, nextDueAt, scheduleRetry, type ClaimedLogout } from './queue-store.js';
import type { LogoutTokenIssuer } from './types.js';

export interface LogoutWorkerOptions {
  store: Store;
  logger: Logger;
  issueLogoutToken: LogoutTokenIssuer;
  /** Attempts per delivery, the first included, before the row is marked failed. */
  maxAttempts: number;
  /** Delay before the second attempt. Each later one waits twice as long as the one before, up to one hour. */
  retryDelayMs: number;
  /** Time limit of one HTTP request to a service. */
  timeoutMs: number;
}

export interface LogoutWorker {
  /** Look for due deliveries now instead of at the next poll, e.g. right after this process queued some. */
  wake(): void;
  /** Stop polling and wait for the deliveries in flight. */
  stop(): Promise<void>;
}

/**
 * How often an idle worker looks for rows that other processes queued (other
 * nodes, the housekeeping timer). Retries scheduled sooner than this wake it
 * at their own time.
 */
const POLL_INTERVAL_MS = 2000;

/** Wait before looking again when a due row was claimed by another node first. */
const CONTENDED_WAIT_MS = 250;

/** Rows claimed per round and delivered in parallel. */
const CLAIM_BATCH = 20;

/** Upper bound of the retry delay, however many attempts have failed. */
const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;

/** Up to this fraction is added to each retry delay, so deliveries that failed together do not all retry at once. */
const RETRY_JITTER = 0.2;

/** Exponential backoff: the delay after the `attempt`-th failed attempt (1-based). */
export function retryDelay(attempt: number, firstDelayMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(firstDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
  return Math.round(exponential * (1 + RETRY_JITTER * random()));
}

/**
 * Deliver queued back-channel logouts until stopped. Every process runs one
 * worker, and rows are claimed atomically (see claimDueLogouts). So workers
 * on several nodes share one queue and send each row once, unless a delivery
 * outlasts its lease.
 */
export function startLogoutWorker(options: LogoutWorkerOptions): LogoutWorker {
  // A claimed row is due again after the lease, so a worker that dies mid-delivery
  // only delays it. The lease outlasts the request timeout, so a live worker
  // normally finishes first.
  const leaseMs = options.timeoutMs + 30_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let wokenDuringRound = false;

  const schedule = (delayMs: number): void => {
    if (stopped) {
      return;
    }
    timer = setTimeout(run, delayMs);
    // The HTTP server keeps the process alive; this timer alone must not.
    timer.unref();
  };

  function run(): void {
    timer = undefined;
    wokenDuringRound = false;
    round = runRound(options, leaseMs).then((delayMs) => {
      round = undefined;
      schedule(wokenDuringRound ? 0 : delayMs);
    });
  }

  schedule(0);
  return {
    wake() {
      if (stopped) {
        return;
      }
      if (round !== undefined) {
        wokenDuringRound = true;
        return;
      }
      clearTimeout(timer);
      run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}

/** Deliver the rows due now and return how long to wait before the next round. */
async function runRound(options: LogoutWorkerOptions, leaseMs: number): Promise<number> {
  try {
    const now = Date.now();
    const due = await nextDueAt(options.store.db);
    if (due === undefined || due > now) {
      return Math.min(POLL_INTERVAL_MS, due === undefined ? POLL_INTERVAL_MS : due - now);
    }
    const claimed = await claimDueLogouts(options.store, now, leaseMs, CLAIM_BATCH);
    const results = await Promise.allSettled(claimed.map((row) => deliverOne(options, row)));
    for (const result of results) {
      if (result.status === 'rejected') {
        options.logger.error({ err: result.reason }, 'recording a back-channel logout attempt failed; the row is retried after its lease');
      }
    }
    // Nothing claimed while a row was due means another node has just claimed
    // it. That claim commits within moments, so look again soon, not at once.
    return claimed.length > 0 ? 0 : CONTENDED_WAIT_MS;
  } catch (error) {
    options.logger.error({ err: error }, 'back-channel logout queue round failed; will retry');
    return POLL_INTERVAL_MS;
  }
}

async function deliverOne(options: LogoutWorkerOptions, row: ClaimedLogout): Promise<void> {
  const { logger, store } = options;
  const fields = { queueId: row.id, clientId: row.target.clientId, reason: row.reason, attempt: row.attempts };
  try {
    const request = await options.issueLogoutToken(row.target);
    if (request === undefined) {
      await markFailed(store.db, row.id, 'the service no longer registers a back-channel logout URI');
      logger.warn(fields, 'back-channel logout dropped: the service no longer registers a back-channel logout URI');
      return;
    }
    await postLogoutToken(request, options.timeoutMs);
    await markDelivered(store.db, row.id, Date.now());
    logger.info(fields, 'back-channel logout delivered');
  } catch (error) {
    const message = describeDeliveryError(error);
    if (row.attempts >= options.maxAttempts) {
      await markFailed(store.db, row.id, message);
      logger.error({ ...fields, error: message }, 'back-channel logout failed on the last attempt; giving up');
      return;
    }
    const delayMs = retryDelay(row.attempts, options.retryDelayMs);
    await scheduleRetry(store.db, row.id, Date.now() + delayMs, message);
    logger.warn({ ...fields, maxAttempts: options.maxAttempts, retryInMs: delayMs, error: message }, 'back-channel logout failed; will retry');
  }
}
