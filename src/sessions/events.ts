import type { Logger } from 'pino';

/** Why sessions ended. Logout through the end_session endpoint is reported by oidc-provider's own events instead. */
export type SessionEndReason = 'password_changed' | 'person_blocked' | 'idle_timeout' | 'expired' | 'person_inactive' | 'untracked';

/** A service that took part in an ended session: its client id and the `sid` it received in ID tokens. */
export interface EndedSessionClient {
  clientId: string;
  sid: string | undefined;
  grantId: string | undefined;
}

export interface EndedSession {
  sessionUid: string;
  clients: EndedSessionClient[];
}

export interface SessionsEndedEvent {
  personId: string;
  reason: SessionEndReason;
  sessions: EndedSession[];
  /** Every grant revoked with the sessions; empty when only the session itself ended. */
  revokedGrantIds: string[];
}

export type SessionsEndedListener = (event: SessionsEndedEvent) => void | Promise<void>;

/**
 * Listeners that learn that a person's sessions ended, for example to send
 * back-channel logout tokens to the services. A failing listener is logged
 * and does not stop the others, nor the action that ended the sessions.
 */
export interface SessionEvents {
  /** Add a listener; the returned function removes it. */
  onSessionsEnded(listener: SessionsEndedListener): () => void;
  emitSessionsEnded(event: SessionsEndedEvent): Promise<void>;
}

export function createSessionEvents(logger: Logger): SessionEvents {
  const listeners = new Set<SessionsEndedListener>();
  return {
    onSessionsEnded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async emitSessionsEnded(event) {
      for (const listener of listeners) {
        try {
          await listener(event);
        } catch (error) {
          logger.error({ err: error, personId: event.personId, reason: event.reason }, 'a sessions-ended listener failed');
        }
      }
    },
  };
}
