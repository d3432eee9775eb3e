import { Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './registry.js';

/** The storage operations of an oidc-provider adapter. */
const OPERATIONS = ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId'] as const;

type Operation = (typeof OPERATIONS)[number];
type AdapterLike = Partial<Record<Operation, (...args: never[]) => Promise<unknown>>>;

/** Bucket bounds in seconds, from 0.5 ms (a Redis or indexed SQL call on a fast network) to 1 s. */
const ADAPTER_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Wraps an adapter so that each storage call is timed by model and operation.
 * Typed structurally, because only src/oidc may import oidc-provider.
 */
export type AdapterTimer = <T extends object>(model: string, adapter: T) => T;

export function createAdapterTimer(registry: Registry): AdapterTimer {
  const duration = new Histogram({
    name: `${METRIC_PREFIX}oidc_adapter_duration_seconds`,
    help: 'Time of one oidc-provider storage call, by model (Session, AccessToken, …) and operation, failed calls included.',
    labelNames: ['model', 'operation'] as const,
    buckets: ADAPTER_BUCKETS,
    registers: [registry],
  });

  return (model, adapter) => {
    const source = adapter as AdapterLike;
    // The prototype is the adapter itself, so anything not timed here is still reachable.
    const timed = Object.create(adapter) as AdapterLike;
    for (const operation of OPERATIONS) {
      const call = source[operation];
      if (typeof call !== 'function') {
        continue;
      }
      // Built once: startTimer would allocate two closures and copy the labels on each of the several storage calls of a request.
      const labels = { model, operation };
      timed[operation] = async (...args: never[]) => {
        const start = performance.now();
        try {
          return await call.apply(adapter, args);
        } finally {
          duration.observe(labels, (performance.now() - start) / 1000);
        }
      };
    }
    return timed as typeof adapter;
  };
}
