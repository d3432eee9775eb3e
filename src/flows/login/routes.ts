import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InteractionExpiredError } from '../../errors/index.js';
import type { PendingInteraction } from '../../oidc/interactions.js';
import { allowFormRedirect } from '../../server/security-headers.js';
import { showLoginPage, submitCredentials } from './credentials-step.js';
import type { LoginFlowDeps } from './deps.js';
import { abortToService, showRoleStep, submitRole } from './role-step.js';
import { transition } from './states.js';

type Params = { uid: string };
type Step = (deps: LoginFlowDeps, request: FastifyRequest, reply: FastifyReply, pending: PendingInteraction) => Promise<FastifyReply>;

/**
 * Load the interaction and make sure the URL's uid is the one the cookie
 * belongs to. Every form of the interaction's pages can end in a redirect to
 * the service, so the page's form-action allows the service's origin.
 */
async function pendingFor(deps: LoginFlowDeps, request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) {
  const pending = await deps.gateway.load(request.raw, reply.raw);
  if (pending.uid !== request.params.uid) {
    throw new InteractionExpiredError();
  }
  allowFormRedirect(reply.raw, pending.redirectUri);
  return pending;
}

function onPrompt(deps: LoginFlowDeps, prompt: PendingInteraction['prompt'], step: Step) {
  return async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const pending = await pendingFor(deps, request, reply);
    if (pending.prompt !== prompt) {
      throw new InteractionExpiredError();
    }
    return step(deps, request, reply, pending);
  };
}

export function registerLoginFlow(app: FastifyInstance, deps: LoginFlowDeps): void {
  app.get<{ Params: Params }>('/interaction/:uid', async (request, reply) => {
    const pending = await pendingFor(deps, request, reply);
    reply.header('cache-control', 'no-store');
    switch (pending.prompt) {
      case 'login':
        return showLoginPage(deps, request, reply, pending, { identifier: pending.loginHint ?? '', sharedDevice: false, errors: [] });
      case 'role':
        return showRoleStep(deps, request, reply, pending);
      case 'consent': {
        transition('consent', 'grant_covered');
        if (pending.grantId === undefined) {
          throw new InteractionExpiredError();
        }
        const returnTo = await deps.gateway.finishConsent(request.raw, reply.raw, pending.grantId);
        return reply.redirect(returnTo, 303);
      }
    }
  });

  app.post<{ Params: Params }>('/interaction/:uid/login', onPrompt(deps, 'login', submitCredentials));
  app.post<{ Params: Params }>('/interaction/:uid/role', onPrompt(deps, 'role', submitRole));
  app.post<{ Params: Params }>('/interaction/:uid/abort', onPrompt(deps, 'role', abortToService));
}
