import type { Logger } from 'pino';
import type { AuditContext, AuditLog } from '../audit/events.js';
import type { Store } from '../storage/database.js';
import { createOidcAdapter, type OidcAdapter, type OidcPayload } from '../storage/oidc-adapter.js';
import { deleteSessionRecords, listPersonGrantIds, listPersonSessionUids } from '../storage/session-activity.js';
import { revokeGrantRecords } from '../storage/revoke-grant.js';
import type { EndedSession, SessionEndReason, SessionEvents } from './events.js';
import { endedSession } from './session-payload.js';

export interface SessionTerminatorDeps {
  store: Store;
  audit: AuditLog;
  events: SessionEvents;
  logger: Logger;
  /**
   * The stores of oidc-provider's sessions and grants (src/storage/redis/oidc-storage.ts).
   * Without it they are read from the database, which is right only when REDIS_URL is unset.
   */
  oidcStorage?: { adapterFor(model: string): OidcAdapter<OidcPayload> };
}

export interface EndSessionsOptions {
  /** Uid of the requesting browser's session (a password change): it stays signed in, but its grants are revoked too. */
  keepSessionUid?: string;
  context?: AuditContext;
}

export interface EndSessionsResult {
  sessionsEnded: number;
  grantsRevoked: number;
}

export interface SessionTerminator {
  endPersonSessions(personId: string, reason: SessionEndReason, options?: EndSessionsOptions): Promise<EndSessionsResult>;
}

/**
 * End every single sign-on session of a person and revoke every grant they
 * gave a service, with all the tokens issued from those grants. Works on the
 * database directly, so the CLI can call it without a running server.
 * Sessions are found through the session activity rows and the sessions'
 * role state; grants through the role bindings and the sessions'
 * authorizations. Records the audit event `session.revoked` and notifies
 * the sessions-ended listeners.
 */
export function createSessionTerminator(deps: SessionTerminatorDeps): SessionTerminator {
  const PayloadAdapter = createOidcAdapter<OidcPayload>(deps.store);
  const adapterFor = deps.oidcStorage?.adapterFor ?? ((model: string) => new PayloadAdapter(model));
  const sessions = adapterFor('Session');
  const grants = adapterFor('Grant');

  return {
    async endPersonSessions(personId, reason, options = {}) {
      const uids = await listPersonSessionUids(deps.store.db, personId);
      const ended: EndedSession[] = [];
      const grantIds = new Set(await listPersonGrantIds(deps.store.db, personId));

      for (const uid of uids) {
        const payload = await sessions.findByUid(uid);
        if (payload === undefined || payload.accountId !== personId || typeof payload.jti !== 'string') {
          continue;
        }
        const session = endedSession(uid, payload);
        for (const client of session.clients) {
          if (client.grantId !== undefined) {
            grantIds.add(client.grantId);
          }
        }
        if (uid === options.keepSessionUid) {
          continue;
        }
        await sessions.destroy(payload.jti);
        ended.push(session);
      }
      await deleteSessionRecords(
        deps.store.db,
        uids.filter((uid) => uid !== options.keepSessionUid),
      );

      for (const grantId of grantIds) {
        await revokeGrantRecords(grants, deps.store.db, grantId);
      }

      const result = { sessionsEnded: ended.length, grantsRevoked: grantIds.size };
      deps.logger.info({ personId, reason, ...result }, 'sessions of a person ended');
      await deps.audit.record({
        type: 'session.revoked',
        personId,
        details: { reason, sessions: result.sessionsEnded, grants: result.grantsRevoked },
        ...(options.context === undefined ? {} : { context: options.context }),
      });
      await deps.events.emitSessionsEnded({ personId, reason, sessions: ended, revokedGrantIds: [...grantIds] });
      return result;
    },
  };
}
