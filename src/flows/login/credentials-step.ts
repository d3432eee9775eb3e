import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MessageKey } from '../../i18n/catalogues/ru.js';
import { authenticate } from '../../identity/authenticate.js';
import { pageContextFor } from '../../server/page-context.js';
import { loginPage } from '../../ui/pages/login.js';
import type { PendingInteraction } from '../../oidc/interactions.js';
import type { LoginFlowDeps } from './deps.js';
import { transition } from './states.js';

const CSRF_PURPOSE = 'login';

/** Form fields; lengths are capped so a huge body cannot cost a hash. */
export const credentialsForm = z.object({
  csrf: z.string().max(128).optional(),
  login: z.string().max(320).default(''),
  password: z.string().max(1024).default(''),
  shared_device: z.string().max(8).optional(),
});

export async function showLoginPage(
  deps: LoginFlowDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  pending: PendingInteraction,
  form: { identifier: string; sharedDevice: boolean; errors: MessageKey[] },
): Promise<FastifyReply> {
  const profile = await deps.clients.profile(pending.clientId);
  const page = pageContextFor(request, deps.config.demo, pending.uiLocales);
  const body = loginPage(page, {
    action: `/interaction/${pending.uid}/login`,
    csrfToken: deps.csrf.issue(request, reply, CSRF_PURPOSE),
    clientName: profile?.displayName ?? null,
    ...form,
  });
  return reply.type('text/html; charset=utf-8').send(body);
}

/** POST of the login form: check the password, then hand the person back to the provider. */
export async function submitCredentials(
  deps: LoginFlowDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  pending: PendingInteraction,
): Promise<FastifyReply> {
  const parsed = credentialsForm.safeParse(request.body ?? {});
  const form = parsed.success ? parsed.data : { login: '', password: '', csrf: undefined, shared_device: undefined };
  deps.csrf.verify(request, CSRF_PURPOSE, form.csrf);

  const identifier = form.login.trim();
  const sharedDevice = form.shared_device !== undefined;
  const errors: MessageKey[] = [];
  if (identifier === '') errors.push('login.error.identifier_missing');
  if (form.password === '') errors.push('login.error.password_missing');
  if (errors.length > 0) {
    transition('credentials', 'credentials_rejected');
    return showLoginPage(deps, request, reply.code(400), pending, { identifier, sharedDevice, errors });
  }

  const result = await authenticate(deps.db, identifier, form.password);
  if (result.outcome !== 'success') {
    transition('credentials', 'credentials_rejected');
    const error: MessageKey =
      result.outcome === 'unrecognized_identifier' ? 'login.error.identifier_unrecognized' : 'login.error.invalid_credentials';
    deps.logger.info({ interaction: pending.uid, outcome: result.outcome }, 'login failed');
    return showLoginPage(deps, request, reply.code(result.outcome === 'unrecognized_identifier' ? 400 : 401), pending, {
      identifier,
      sharedDevice,
      errors: [error],
    });
  }

  transition('credentials', 'credentials_accepted');
  deps.logger.info({ interaction: pending.uid, personId: result.personId, identifierKind: result.identifierKind }, 'login succeeded');
  const returnTo = await deps.gateway.finishLogin(request.raw, reply.raw, { accountId: result.personId, remember: !sharedDevice });
  return reply.redirect(returnTo, 303);
}
