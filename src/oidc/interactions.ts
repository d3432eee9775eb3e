import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionResults, Provider } from 'oidc-provider';
import { InteractionExpiredError } from '../errors/index.js';
import { replaceGrant } from './grants.js';
import { ROLE_PROMPT, ROLE_REQUESTED_REASON } from './policy.js';
import { unwrapUnavailable } from './storage-unavailable.js';

/** A pending authorization request, as the login flow reads it. */
export interface PendingInteraction {
  uid: string;
  prompt: 'login' | 'role' | 'consent';
  /** True when the service asked for the role chooser explicitly. */
  chooserRequested: boolean;
  clientId: string;
  /** The service's redirect_uri, which the provider checked against its registered list before the interaction began. */
  redirectUri: string | undefined;
  uiLocales: string | undefined;
  loginHint: string | undefined;
  accountId: string | undefined;
  sessionUid: string | undefined;
  grantId: string | undefined;
}

/**
 * The only doorway from the login flow into oidc-provider's interaction API.
 * The flow gets plain data and intent-named operations, never the provider.
 */
export interface InteractionGateway {
  load(req: IncomingMessage, res: ServerResponse): Promise<PendingInteraction>;
  finishLogin(req: IncomingMessage, res: ServerResponse, login: { accountId: string; remember: boolean }): Promise<string>;
  finishRole(req: IncomingMessage, res: ServerResponse, grant: { replaceGrantId?: string }): Promise<string>;
  finishConsent(req: IncomingMessage, res: ServerResponse, grantId: string): Promise<string>;
  abort(req: IncomingMessage, res: ServerResponse, error: string, description: string): Promise<string>;
  replaceGrant(grantId: string): Promise<string>;
}

function promptKind(name: string): PendingInteraction['prompt'] {
  if (name === 'login') return 'login';
  if (name === ROLE_PROMPT) return 'role';
  return 'consent';
}

export function createInteractionGateway(provider: Provider): InteractionGateway {
  // A login starts a fresh result. Later steps keep the login of the same
  // request: with prompt=login the provider would otherwise ask again after
  // the role step, forever.
  const finish = (req: IncomingMessage, res: ServerResponse, result: InteractionResults, merge = true) =>
    provider.interactionResult(req, res, result, { mergeWithLastSubmission: merge });

  return {
    async load(req, res) {
      let details;
      try {
        details = await provider.interactionDetails(req, res);
      } catch (cause) {
        // A store that is down is not an expired interaction: the person should retry, not start over.
        throw unwrapUnavailable(cause) ?? new InteractionExpiredError({ cause });
      }
      const params = details.params as Record<string, string | undefined>;
      return {
        uid: details.uid,
        prompt: promptKind(details.prompt.name),
        chooserRequested: details.prompt.reasons.includes(ROLE_REQUESTED_REASON),
        clientId: String(params.client_id),
        redirectUri: params.redirect_uri,
        uiLocales: params.ui_locales,
        loginHint: params.login_hint,
        accountId: details.session?.accountId,
        sessionUid: details.session?.uid,
        grantId: details.grantId,
      };
    },
    finishLogin(req, res, login) {
      return finish(req, res, {
        login: { accountId: login.accountId, remember: login.remember, amr: ['pwd'], ts: Math.floor(Date.now() / 1000) },
      }, false);
    },
    finishRole(req, res, grant) {
      const result: InteractionResults = { [ROLE_PROMPT]: {} };
      if (grant.replaceGrantId !== undefined) {
        result.consent = { grantId: grant.replaceGrantId };
      }
      return finish(req, res, result);
    },
    finishConsent(req, res, grantId) {
      return finish(req, res, { consent: { grantId } });
    },
    abort(req, res, error, description) {
      return finish(req, res, { error, error_description: description });
    },
    replaceGrant(grantId) {
      return replaceGrant(provider, grantId);
    },
  };
}
