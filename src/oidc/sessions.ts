import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';

export interface SsoSession {
  uid: string;
  accountId: string;
}

export type SessionReader = (req: IncomingMessage, res: ServerResponse) => Promise<SsoSession | undefined>;

/**
 * Read the single sign-on session behind the provider's signed session
 * cookie, for Propusk's own pages. Nothing is created or written.
 */
export function createSessionReader(provider: Provider): SessionReader {
  return async (req, res) => {
    const ctx = provider.createContext(req, res);
    const session = await provider.Session.get(ctx);
    if (session.accountId === undefined || session.uid === undefined) {
      return undefined;
    }
    return { uid: session.uid, accountId: session.accountId };
  };
}
