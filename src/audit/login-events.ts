import { readLoginIdentifier, type IdentifierKind } from '../identity/identifiers/parse.js';
import type { AuditContext, AuditEvent } from './events.js';

/** `login.succeeded`: which kind of identifier the person typed, never the identifier or the password. */
export function loginSucceeded(input: {
  personId: string;
  clientId: string;
  identifierKind: IdentifierKind;
  sharedDevice: boolean;
  context: AuditContext;
}): AuditEvent {
  return {
    type: 'login.succeeded',
    personId: input.personId,
    clientId: input.clientId,
    details: { identifierKind: input.identifierKind, sharedDevice: input.sharedDevice },
    context: input.context,
  };
}

/**
 * `login.failed`: the reason and every kind the input could be read as
 * (eleven digits can be both a phone number and a valid СНИЛС), or `none`.
 * The typed login itself is not kept, because it may be a mistyped password.
 */
export function loginFailed(input: { login: string; reason: string; clientId: string; context: AuditContext }): AuditEvent {
  const kinds = readLoginIdentifier(input.login).map((reading) => reading.kind);
  return {
    type: 'login.failed',
    clientId: input.clientId,
    details: { reason: input.reason, identifierKinds: kinds.length === 0 ? 'none' : kinds.join(',') },
    context: input.context,
  };
}
