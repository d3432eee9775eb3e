/**
 * How long a worker reuses a service it read from the `services` table.
 * `propusk import` runs in its own process and notifies no running node, so a
 * changed client secret, redirect URI or accepted role kind takes effect on
 * every node up to this long after the import commits. Services are never
 * deleted, only updated.
 */
export const SERVICE_CACHE_TTL_MS = 10_000;

interface Entry<T> {
  value: T;
  loadedAt: number;
}

export interface ServiceCache<T> {
  /** The cached value for the client id, or a fresh one from `load` when there is none or it is too old. */
  get(clientId: string): Promise<T | undefined>;
}

/**
 * Create a per-process cache of values derived from service rows, so that a
 * request does not read and decrypt its client's row two or three times. Only found
 * services are cached: unknown client ids come from the request, and caching
 * them would let anyone fill the memory. Concurrent misses for one client id
 * share a single load, and a failed load is not cached.
 */
export function createServiceCache<T>(
  load: (clientId: string) => Promise<T | undefined>,
  options: { ttlMs?: number; clock?: () => number } = {},
): ServiceCache<T> {
  const ttlMs = options.ttlMs ?? SERVICE_CACHE_TTL_MS;
  const clock = options.clock ?? Date.now;
  const entries = new Map<string, Entry<T>>();
  const loading = new Map<string, Promise<T | undefined>>();

  const startLoad = (clientId: string): Promise<T | undefined> => {
    const loadedAt = clock();
    // Deferred by one tick, so the pending load is registered before it can settle.
    const started = Promise.resolve()
      .then(() => load(clientId))
      .then((value) => {
        if (value === undefined) {
          entries.delete(clientId);
        } else {
          entries.set(clientId, { value, loadedAt });
        }
        return value;
      })
      .finally(() => loading.delete(clientId));
    loading.set(clientId, started);
    return started;
  };

  return {
    get(clientId) {
      const entry = entries.get(clientId);
      if (entry !== undefined && clock() - entry.loadedAt < ttlMs) {
        return Promise.resolve(entry.value);
      }
      const pending = loading.get(clientId);
      return pending ?? startLoad(clientId);
    },
  };
}
