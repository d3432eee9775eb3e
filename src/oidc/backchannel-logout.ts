import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Client, Provider } from 'oidc-provider';
import type { LogoutTarget, LogoutTokenIssuer } from '../logout/types.js';

/** The `events` member that makes a JWT a logout token (Back-Channel Logout 1.0, section 2.4). */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Members of oidc-provider 9 classes that @types/oidc-provider does not declare. */
interface LogoutCapableClient {
  backchannelLogout(this: Client, sub: string, sid: string): Promise<void>;
}
interface MaskableIdToken {
  mask: Record<string, null>;
}

/**
 * Sign logout tokens with oidc-provider's own IdToken model, as its
 * Client#backchannelLogout does (lib/models/client.js, oidc-provider 9):
 * `issue({ use: 'logout' })` sets `typ: logout+jwt`, `aud` = the client,
 * `iss` and an `exp` two minutes ahead, with the client's ID token
 * algorithm and Propusk's current signing key. Unlike that method, `sid` is
 * always included: every service with a back-channel URI is registered with
 * backchannel_logout_session_required, so its ID tokens carry the same sid.
 */
export function createLogoutTokenIssuer(provider: Provider): LogoutTokenIssuer {
  return async ({ clientId, sub, sid }) => {
    const client = await provider.Client.find(clientId);
    const uri = client?.backchannelLogoutUri;
    if (client === undefined || uri === undefined) {
      return undefined;
    }
    const token = new provider.IdToken({ sub }, { client });
    // Release `sub` and nothing else of the account: no profile claims, no nonce.
    (token as unknown as MaskableIdToken).mask = { sub: null };
    token.set('events', { [BACKCHANNEL_LOGOUT_EVENT]: {} });
    token.set('jti', randomUUID());
    token.set('sid', sid);
    return { uri, logoutToken: await token.issue({ use: 'logout' }) };
  };
}

/**
 * Replace oidc-provider's own delivery at end_session with Propusk's queue.
 * The provider still decides which services to notify: at the logout
 * confirmation (lib/actions/end_session.js) it calls
 * `client.backchannelLogout(accountId, sid)` for each service of the session
 * that has a back-channel URI, and awaits it before it destroys the session.
 * Here that call only stores a queue row, so nothing is sent twice, and a
 * service that is down gets retries instead of one lost attempt. It also
 * sidesteps the provider's own HTTP client, which refuses loopback addresses.
 */
export function routeBackchannelLogoutToQueue(
  provider: Provider,
  enqueue: (target: LogoutTarget) => Promise<void>,
  logger: Logger,
): void {
  const prototype = provider.Client.prototype as unknown as LogoutCapableClient;
  prototype.backchannelLogout = async function queueLogout(this: Client, sub: string, sid: string): Promise<void> {
    await enqueue({ clientId: this.clientId, sub, sid });
  };
  // The provider reports a failed call (here: the queue write) as this event and still ends the session.
  provider.on('backchannel.error', (_ctx, error, client) => {
    logger.error({ err: error, clientId: client.clientId }, 'queueing a back-channel logout failed; the service is not notified');
  });
}
