import type { AuditContext } from '../audit/events.js';
import { NotFoundError } from '../errors/index.js';
import { findPersonByExternalId, setPersonStatus } from '../storage/people.js';
import { createSessionTerminator, type EndSessionsResult, type SessionTerminatorDeps } from './end-sessions.js';

export interface StatusChange {
  personId: string;
  /** False when the person already had the requested status. */
  changed: boolean;
}

async function personOf(deps: SessionTerminatorDeps, externalId: string) {
  const person = await findPersonByExternalId(deps.store.db, externalId);
  if (person === undefined) {
    throw new NotFoundError(`No person with external id "${externalId}": check the id in the school records (the "id" field of the import file)`);
  }
  return person;
}

/**
 * Block a person: they can no longer sign in, every session of theirs ends
 * and every grant they gave a service is revoked. Blocking an already
 * blocked person ends their sessions again, which is harmless.
 */
export async function blockPerson(
  deps: SessionTerminatorDeps,
  externalId: string,
  context?: AuditContext,
): Promise<StatusChange & EndSessionsResult> {
  const person = await personOf(deps, externalId);
  await setPersonStatus(deps.store.db, person.id, 'blocked');
  await deps.audit.record({ type: 'person.blocked', personId: person.id, details: { alreadyBlocked: person.status === 'blocked' }, ...(context === undefined ? {} : { context }) });
  const ended = await createSessionTerminator(deps).endPersonSessions(person.id, 'person_blocked', context === undefined ? {} : { context });
  return { personId: person.id, changed: person.status !== 'blocked', ...ended };
}

/** Let a blocked person sign in again. Their old sessions stay ended. */
export async function unblockPerson(deps: SessionTerminatorDeps, externalId: string, context?: AuditContext): Promise<StatusChange> {
  const person = await personOf(deps, externalId);
  await setPersonStatus(deps.store.db, person.id, 'active');
  await deps.audit.record({ type: 'person.unblocked', personId: person.id, details: { wasBlocked: person.status === 'blocked' }, ...(context === undefined ? {} : { context }) });
  return { personId: person.id, changed: person.status !== 'active' };
}
