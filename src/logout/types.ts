/** The reason a session ended, kept with each queued delivery for the log. */
export type LogoutReason = 'logout' | 'expired' | 'revoked';

/** The recipient and subject of one logout token: a service, a person and the session's sid at that service. */
export interface LogoutTarget {
  clientId: string;
  sub: string;
  sid: string;
}

/** A signed logout token and the service's back-channel logout URI to POST it to. */
export interface LogoutRequest {
  uri: string;
  logoutToken: string;
}

/**
 * Signs a fresh logout token for the target. Resolves to undefined when the
 * service is gone or no longer registers a back-channel logout URI.
 */
export type LogoutTokenIssuer = (target: LogoutTarget) => Promise<LogoutRequest | undefined>;
