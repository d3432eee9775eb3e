import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';

/** Delay before replacing a worker that died; it doubles with each death in a row. */
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that served this long before it died counts as healthy: its replacement starts after the first delay again. */
const HEALTHY_RUN_MS = 60_000;

export interface WorkerSlotsOptions {
  count: number;
  logger: Logger;
  /** Start a worker process for a slot (1-based). */
  fork(slot: number): Worker;
}

/** The N worker processes of a cluster primary, each kept in a numbered slot. */
export interface WorkerSlots {
  /** Fork every worker; resolves when all listen, rejects when one exits before it listens. */
  start(): Promise<void>;
  /** Workers that listen now: the ones that serve, and whose metrics count. */
  listening(): Worker[];
  /** Workers whose process has not exited yet. */
  live(): Worker[];
  /**
   * Stop replacing workers, send SIGTERM to each, and resolve when all have
   * exited: true when each exited with status 0 or by that SIGTERM.
   */
  stopAll(): Promise<boolean>;
}

interface Slot {
  number: number;
  worker: Worker | undefined;
  listening: boolean;
  startedAt: number;
  /** Deaths in a row without a healthy run in between. */
  deaths: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export function createWorkerSlots(options: WorkerSlotsOptions): WorkerSlots {
  const { logger } = options;
  const slots: Slot[] = Array.from({ length: options.count }, (_, index) => ({
    number: index + 1,
    worker: undefined,
    listening: false,
    startedAt: 0,
    deaths: 0,
    restartTimer: undefined,
  }));
  let started = false;
  let stopping = false;
  let clean = true;
  let startWaiters: { resolve(): void; reject(error: Error): void } | undefined;
  let stopWaiter: (() => void) | undefined;

  const live = () => slots.flatMap((slot) => (slot.worker === undefined ? [] : [slot.worker]));

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null) => {
    const wasListening = slot.listening;
    slot.worker = undefined;
    slot.listening = false;
    // Not `code`: the logger redacts that key, which usually contains an authorization code.
    const fields = { slot: slot.number, pid: worker.process.pid, exitCode: code, signal };
    if (stopping) {
      clean &&= code === 0 || signal === 'SIGTERM';
      logger.info(fields, 'worker exited');
      if (live().length === 0) {
        stopWaiter?.();
      }
      return;
    }
    if (!started && !wasListening) {
      startWaiters?.reject(new Error(`worker ${worker.process.pid} exited (status ${code ?? signal}) before it listened; see its log lines above`));
      return;
    }
    const ranMs = Date.now() - slot.startedAt;
    slot.deaths = ranMs >= HEALTHY_RUN_MS ? 1 : slot.deaths + 1;
    const delayMs = Math.min(FIRST_RESTART_DELAY_MS * 2 ** (slot.deaths - 1), MAX_RESTART_DELAY_MS);
    if (code === 0) {
      // A worker stopped on its own signal (SIGTERM sent to it alone) shuts down cleanly: replaced, but not a fault.
      logger.warn({ ...fields, ranMs, restartInMs: delayMs }, 'worker stopped; starting a replacement');
    } else {
      logger.error({ ...fields, ranMs, restartInMs: delayMs }, 'worker died; starting a replacement');
    }
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      forkInto(slot);
    }, delayMs);
  };

  const forkInto = (slot: Slot) => {
    if (stopping) {
      return;
    }
    const worker = options.fork(slot.number);
    slot.worker = worker;
    slot.startedAt = Date.now();
    worker.on('listening', () => {
      slot.listening = true;
      logger.info({ slot: slot.number, pid: worker.process.pid }, 'worker listening');
      if (!started && slots.every((each) => each.listening)) {
        started = true;
        startWaiters?.resolve();
      }
    });
    worker.on('exit', (code, signal) => onExit(slot, worker, code, signal));
  };

  return {
    start() {
      return new Promise((resolve, reject) => {
        startWaiters = { resolve, reject };
        slots.forEach(forkInto);
      });
    },
    listening: () => slots.flatMap((slot) => (slot.listening && slot.worker !== undefined ? [slot.worker] : [])),
    live,
    stopAll() {
      stopping = true;
      for (const slot of slots) {
        clearTimeout(slot.restartTimer);
      }
      // A start still waiting for its workers ends here: the shutdown takes over.
      startWaiters?.resolve();
      const workers = live();
      if (workers.length === 0) {
        return Promise.resolve(clean);
      }
      const exited = new Promise<boolean>((resolve) => {
        stopWaiter = () => resolve(clean);
      });
      for (const worker of workers) {
        worker.process.kill('SIGTERM');
      }
      return exited;
    },
  };
}
