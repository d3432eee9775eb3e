import { CLIENT_ID_PATTERN } from '../importer/format.js';
import type { ClientDirectory } from './clients.js';
import { SERVICE_CACHE_TTL_MS } from './service-cache.js';

/** Unknown client ids remembered at once; the memory is emptied when it is full. Each id has at most 100 characters. */
export const UNKNOWN_CLIENT_IDS_MAX = 10_000;

export interface RegistrationCheckOptions {
  /** How long an unknown id is remembered: as long as the service cache keeps a known service. */
  ttlMs?: number;
  maxRemembered?: number;
  clock?: () => number;
}

/**
 * Return the client throttle's check whether a client id from a Basic
 * header names a registered service. An id that no import could register
 * (CLIENT_ID_PATTERN) is unknown without a lookup. A well-formed unknown id
 * is remembered for a while, so a caller who repeats it, even one already
 * delayed, costs no database read per request. The service directory does
 * not cache unknown ids, because its cache has no size limit. A service
 * imported meanwhile counts as unknown for at most `ttlMs` here, which puts
 * its failures on the shared counter of unknown ids for that time.
 */
export function createRegistrationCheck(clients: Pick<ClientDirectory, 'metadata'>, options: RegistrationCheckOptions = {}): (clientId: string) => Promise<boolean> {
  const ttlMs = options.ttlMs ?? SERVICE_CACHE_TTL_MS;
  const maxRemembered = options.maxRemembered ?? UNKNOWN_CLIENT_IDS_MAX;
  const clock = options.clock ?? Date.now;
  /** Unknown id → when its lookup found nothing. */
  const unknown = new Map<string, number>();

  return async (clientId) => {
    if (!CLIENT_ID_PATTERN.test(clientId)) {
      return false;
    }
    const seenAt = unknown.get(clientId);
    if (seenAt !== undefined && clock() - seenAt < ttlMs) {
      return false;
    }
    const registered = (await clients.metadata(clientId)) !== undefined;
    if (registered) {
      unknown.delete(clientId);
    } else {
      if (unknown.size >= maxRemembered) unknown.clear();
      unknown.set(clientId, clock());
    }
    return registered;
  };
}
