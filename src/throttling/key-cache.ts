/** Maximum number of entries. A full cache is emptied before the next one is added. */
export const KEY_CACHE_SIZE = 10_000;

/** A bounded memo of a pure function from a string to a string. */
export interface KeyCache {
  get(name: string, compute: () => string): string;
}

/**
 * Create a memo of computed counter keys. Services call from a few addresses
 * each (an estimate), so a full cache means requests from many addresses.
 * Emptying it then costs one recomputation per key and bounds the memory.
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
