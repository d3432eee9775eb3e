/** Maximum number of entries. A full cache is emptied before the next one is added. */
export const KEY_CACHE_SIZE = 10_000;

/**
 * Longest name that is kept. Client ids come from the unauthenticated Basic
 * header, so a long one is computed each time instead of being kept in memory.
 */
export const MAX_CACHED_NAME_LENGTH = 128;

/** A bounded memo of a pure function from a string to a string. */
export interface KeyCache {
  get(name: string, compute: () => string): string;
}

/**
 * Create a memo of computed counter keys. Services call from a few addresses
 * each (an estimate), so a full cache means requests from many addresses.
 * Emptying it then costs one recomputation per key, and with the name
 * length limit it bounds the memory to about 3 MB (an estimate).
 */
export function createKeyCache(maxSize = KEY_CACHE_SIZE): KeyCache {
  const keys = new Map<string, string>();
  return {
    get(name, compute) {
      if (name.length > MAX_CACHED_NAME_LENGTH) {
        return compute();
      }
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
