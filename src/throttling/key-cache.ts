/** Entries the cache holds before it starts again empty. */
export const KEY_CACHE_SIZE = 10_000;

/** A bounded memo of a pure function from a string to a string. */
export interface KeyCache {
  get(name: string, compute: () => string): string;
}

/**
 * Remember computed counter keys. The services of a region call from a few
 * hundred addresses, so a full cache means someone is sending requests from
 * many addresses; it is then emptied rather than kept ordered, which
 * costs one recomputation per key and bounds the memory.
 */
export function createKeyCache(maxSize = KEY_CACHE_SIZE): KeyCache {
  const keys = new Map<string, string>();
  return {
    get(name, compute) {
      const hit = keys.get(name);
      if (hit !== undefined) {
        return hit;
      }
      if (keys.size >= maxSize) {
        keys.clear();
      }
      const key = compute();
      keys.set(name, key);
      return key;
    },
  };
}
