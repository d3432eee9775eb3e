import Provider from 'oidc-provider';
import type { PersonProfile } from '../storage/types.js';

/**
 * The person read by the session check, handed to findAccount later in the
 * same provider request so that findAccount does not read them again. The
 * session check runs first on every endpoint that needs both: the session
 * cookie's lookup before the account is loaded, and the check of a
 * session-bound token before its account.
 *
 * Nothing outlives the request: entries are keyed on the request's context
 * in a WeakMap, and a person is handed over at most once. A status change
 * made while a request runs therefore takes effect from the next request.
 */
export interface RequestPeople {
  /** Keep a person just read from the database. Outside a provider request it does nothing. */
  remember(person: PersonProfile): void;
  /** Take the person `personId` kept earlier in the request `ctx`, if any. */
  take(ctx: object, personId: string): PersonProfile | undefined;
}

export function createRequestPeople(): RequestPeople {
  const byRequest = new WeakMap<object, PersonProfile>();
  return {
    remember(person) {
      // The context of the provider request this code runs in; undefined outside one.
      const ctx = Provider.ctx;
      if (ctx !== undefined) {
        byRequest.set(ctx, person);
      }
    },
    take(ctx, personId) {
      const person = byRequest.get(ctx);
      byRequest.delete(ctx);
      return person?.id === personId ? person : undefined;
    },
  };
}
