import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from 'pino';

/*
 * Metrics of a node run with cluster workers. Prometheus reaches the node
 * through the shared port, so any worker may get the scrape. That worker sends
 * a request to the primary, which collects every serving worker's registry over
 * IPC, adds them up (prom-client's AggregatorRegistry, each metric by its
 * aggregator) and sends the text back. One scrape thus covers the whole node.
 * NOTE: a replaced worker's counts are lost, so the node's counters drop, and
 * Prometheus reads the drop as a reset: rate() spikes over that interval.
 */

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

type ClusterMetricsMessage =
  | { type: 'propusk:metrics-request'; id: number }
  | { type: 'propusk:metrics-collect'; id: number }
  | { type: 'propusk:metrics-snapshot'; id: number; metrics: MetricsJson }
  | { type: 'propusk:metrics-result'; id: number; text?: string; error?: string };

/** How long the primary waits for every worker's snapshot before the scrape fails. */
const COLLECT_TIMEOUT_MS = 2000;
/** How long a worker waits for the primary's aggregate. It is longer than the collection, which the wait includes. */
const REQUEST_TIMEOUT_MS = COLLECT_TIMEOUT_MS + 1000;

function isClusterMetricsMessage(message: unknown): message is ClusterMetricsMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('propusk:metrics-');
}

/*
 * Sending with a callback keeps a closed IPC channel from raising an error
 * event. The peer is exiting, and the request that waits for its response times out.
 */
function sendToWorker(worker: Worker, message: ClusterMetricsMessage): void {
  worker.send(message, () => {});
}

function sendToPrimary(message: ClusterMetricsMessage): void {
  process.send?.(message, undefined, undefined, () => {});
}

/**
 * In a cluster worker: respond to the primary's collection requests with this
 * process's registry. Returns the function that stops responding.
 */
export function answerClusterCollection(registry: Registry): () => void {
  const listener = (message: unknown) => {
    if (!isClusterMetricsMessage(message) || message.type !== 'propusk:metrics-collect') {
      return;
    }
    registry.getMetricsAsJSON().then(
      (metrics) => sendToPrimary({ type: 'propusk:metrics-snapshot', id: message.id, metrics }),
      // No response: the primary's collection times out and names this worker, rather than report a partial sum.
      () => {},
    );
  };
  process.on('message', listener);
  return () => process.off('message', listener);
}

let nextRequestId = 0;

/** In a cluster worker: the whole node's metrics in the Prometheus text format, from the primary. */
export function requestClusterMetrics(): Promise<string> {
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error('the cluster primary sent no metrics within the time limit')), REQUEST_TIMEOUT_MS);
    const listener = (message: unknown) => {
      if (isClusterMetricsMessage(message) && message.type === 'propusk:metrics-result' && message.id === id) {
        finish(message.error === undefined ? undefined : new Error(message.error), message.text);
      }
    };
    const finish = (error: Error | undefined, text?: string) => {
      clearTimeout(timer);
      process.off('message', listener);
      if (error === undefined) {
        resolve(text ?? '');
      } else {
        reject(error);
      }
    };
    process.on('message', listener);
    sendToPrimary({ type: 'propusk:metrics-request', id });
  });
}

/**
 * In the cluster primary: respond to workers' metrics requests by collecting and
 * adding up the registries of `serving()` workers.
 */
export function serveClusterMetrics(serving: () => Worker[], logger: Logger): void {
  const collections = new Map<number, (worker: Worker, metrics: MetricsJson) => void>();
  let nextCollectionId = 0;

  const collect = (): Promise<string> => {
    const id = nextCollectionId++;
    const workers = serving().filter((worker) => worker.isConnected());
    const snapshots = new Map<number, MetricsJson>();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        collections.delete(id);
        const missing = workers.filter((worker) => !snapshots.has(worker.id)).map((worker) => worker.process.pid);
        reject(new Error(`cluster workers ${missing.join(', ')} did not send their metrics in time`));
      }, COLLECT_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        collections.delete(id);
        resolve(AggregatorRegistry.aggregate([...snapshots.values()]).metrics());
      };
      collections.set(id, (worker, metrics) => {
        snapshots.set(worker.id, metrics);
        if (snapshots.size === workers.length) {
          done();
        }
      });
      if (workers.length === 0) {
        done();
        return;
      }
      for (const worker of workers) {
        sendToWorker(worker, { type: 'propusk:metrics-collect', id });
      }
    });
  };

  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isClusterMetricsMessage(message)) {
      return;
    }
    if (message.type === 'propusk:metrics-snapshot') {
      collections.get(message.id)?.(worker, message.metrics);
      return;
    }
    if (message.type === 'propusk:metrics-request') {
      collect().then(
        (text) => sendToWorker(worker, { type: 'propusk:metrics-result', id: message.id, text }),
        (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          logger.warn({ reason }, 'collecting metrics from the cluster workers failed');
          sendToWorker(worker, { type: 'propusk:metrics-result', id: message.id, error: reason });
        },
      );
    }
  });
}
