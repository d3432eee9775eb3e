import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { HashJob, HashReply } from './hash-protocol.js';

/** First delay before restarting a worker that exited before it was ready. It doubles with each further failed start. */
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;

export interface HashThreadEvents {
  /** The thread can take a job: it has just started, or has finished one. */
  onIdle(): void;
  /** The worker exited before it was ready, so the next start may fail too. */
  onStartFailed(error: Error): void;
}

interface RunningJob {
  id: number;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

/**
 * One worker thread of the hash pool. It runs one job at a time and replaces
 * its worker when the worker exits. A worker that was ready is replaced at
 * once. One that died while starting is replaced after a growing delay, so a
 * worker that cannot start does not spin. A job in flight when the worker dies
 * fails with an error. The worker is unreferenced while it is ready and idle, so an idle
 * pool does not keep the process alive, but a starting worker and a job in
 * flight do.
 */
export class HashThread {
  private worker: Worker | undefined;
  private ready = false;
  private running: RunningJob | undefined;
  private closing = false;
  private failedStarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private nextJobId = 1;

  constructor(
    private readonly spawn: () => Worker,
    private readonly logger: Logger,
    private readonly events: HashThreadEvents,
  ) {
    this.start();
  }

  /** Whether the worker has started and can take a job now. */
  get idle(): boolean {
    return this.ready && this.running === undefined;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Whether the current worker has started, busy or not. */
  get started(): boolean {
    return this.ready;
  }

  /** Run a job. Call only while `idle`. */
  run(job: HashJob): Promise<string | boolean> {
    const worker = this.worker;
    if (worker === undefined || !this.idle) {
      return Promise.reject(new Error('hash thread is not idle; the pool must only dispatch to idle threads'));
    }
    return new Promise((resolve, reject) => {
      const id = this.nextJobId;
      this.nextJobId += 1;
      this.running = { id, resolve, reject };
      // A job in flight keeps the process alive until its result arrives.
      worker.ref();
      worker.postMessage({ ...job, id });
    });
  }

  /** Stop the worker for good. A job in flight fails. */
  async terminate(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker !== undefined) {
      await worker.terminate();
    }
    this.failRunning(new Error('password hash pool closed before the job finished'));
  }

  private start(): void {
    const worker = this.spawn();
    this.worker = worker;
    this.ready = false;
    worker.on('message', (reply: HashReply) => this.receive(reply));
    worker.on('error', (error) => this.logger.error({ err: error }, 'password hash worker raised an uncaught error'));
    worker.on('exit', (code) => this.exited(worker, code));
  }

  private receive(reply: HashReply): void {
    if (reply.type === 'ready') {
      this.ready = true;
      this.failedStarts = 0;
      this.worker?.unref();
      this.events.onIdle();
      return;
    }
    const running = this.running;
    if (running === undefined || running.id !== reply.id) {
      return;
    }
    this.running = undefined;
    this.worker?.unref();
    if (reply.type === 'result') {
      running.resolve(reply.value);
    } else {
      running.reject(new Error(reply.message));
    }
    this.events.onIdle();
  }

  private exited(worker: Worker, code: number): void {
    if (worker !== this.worker) {
      return;
    }
    const wasReady = this.ready;
    this.worker = undefined;
    this.ready = false;
    if (this.closing) {
      this.failRunning(new Error('password hash pool closed before the job finished'));
      return;
    }

    const error = new Error(`password hash worker exited with code ${code} ${wasReady ? 'while running' : 'while starting'}`);
    const jobLost = this.running !== undefined;
    this.failRunning(error);
    if (wasReady) {
      this.logger.error({ exitCode: code, jobLost }, 'password hash worker exited; starting a new one');
      this.start();
      return;
    }
    this.failedStarts += 1;
    const delay = Math.min(FIRST_RESTART_DELAY_MS * 2 ** (this.failedStarts - 1), MAX_RESTART_DELAY_MS);
    this.logger.error({ exitCode: code, failedStarts: this.failedStarts, restartInMs: delay }, 'password hash worker exited while starting; retrying after a delay');
    this.events.onStartFailed(error);
    this.restartTimer = setTimeout(() => this.start(), delay);
    this.restartTimer.unref();
  }

  private failRunning(error: Error): void {
    const running = this.running;
    this.running = undefined;
    running?.reject(error);
  }
}
