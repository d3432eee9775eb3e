import { CLIENT_ID_PATTERN } from '../importer/format.js';
import type { ClientDirectory } from './clients.js';

/**
 * Return the client throttle's check whether a client id from a Basic
 * header names a registered service. An id that no import could register
 * (CLIENT_ID_PATTERN) is unknown without a database read. A well-formed id
 * is looked up in the service directory, which caches registered services
 * but not unknown ids, so a service is known as soon as its import commits.
 */
export function createRegistrationCheck(clients: Pick<ClientDirectory, 'metadata'>): (clientId: string) => Promise<boolean> {
  return async (clientId) => CLIENT_ID_PATTERN.test(clientId) && (await clients.metadata(clientId)) !== undefined;
}
