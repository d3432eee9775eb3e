import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditContext } from '../../audit/context.js';
import { loginFailed, loginSucceeded } from '../../audit/login-events.js';
import { OverloadedError } from '../../errors/index.js';
import type { MessageKey } from '../../i18n/catalogues/ru.js';
import { authenticate, type AuthenticationResult } from '../../identity/authenticate.js';
import { ACCOUNT_CLIENT_ID } from '../../oidc/scopes.js';
import { formField } from '../../server/form.js';
import { pageContextFor } from '../../server/page-context.js';
import { loginPage } from '../../ui/pages/login.js';
import type { PendingInteraction } from '../../oidc/interactions.js';
import type { ThrottledAuthentication } from '../../throttling/login-throttle.js';
import type { LoginFlowDeps } from './deps.js';
import { transition } from './states.js';

const CSRF_PURPOSE = 'login';

/** Longest accepted inputs; a longer login cannot be an identifier, and a longer password is never checked. */
export const MAX_LOGIN_LENGTH = 320;
export const MAX_PASSWORD_LENGTH = 1024;

export async function showLoginPage(
  deps: LoginFlowDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  pending: PendingInteraction,
  form: { identifier: string; sharedDevice: boolean; errors: MessageKey[]; retryAfterSeconds?: number; overloadRetryAfterSeconds?: number },
): Promise<FastifyReply> {
  const profile = await deps.clients.profile(pending.clientId);
  const page = pageContextFor(request, deps.config.demo, pending.uiLocales);
  const body = loginPage(page, {
    action: `/interaction/${pending.uid}/login`,
    csrfToken: deps.csrf.issue(request, reply, CSRF_PURPOSE),
    // Propusk's own home page is not a service: no «Для входа в сервис» line.
    clientName: pending.clientId === ACCOUNT_CLIENT_ID ? null : (profile?.displayName ?? null),
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
  deps.csrf.verify(request, CSRF_PURPOSE, formField(request.body, 'csrf'));
  const identifier = formField(request.body, 'login').trim();
  const password = formField(request.body, 'password');
  const sharedDevice = formField(request.body, 'shared_device') !== '';

  const errors: MessageKey[] = [];
  if (identifier === '') errors.push('login.error.identifier_missing');
  if (identifier.length > MAX_LOGIN_LENGTH) errors.push('login.error.identifier_unrecognized');
  if (password === '') errors.push('login.error.password_missing');
  if (errors.length > 0) {
    transition('credentials', 'credentials_rejected');
    return showLoginPage(deps, request, reply.code(400), pending, { identifier: identifier.slice(0, MAX_LOGIN_LENGTH), sharedDevice, errors });
  }

  let result: ThrottledAuthentication;
  try {
    // Under overload the check is rejected before the throttle reserves the attempt, so nothing is written.
    deps.passwords.checkAdmission();
    // The throttle runs the check only when no failed-attempt delay is running for the login, address or network.
    // When the check raises, as on OverloadedError, the throttle releases the reservation and counts no failure.
    result = await deps.loginThrottle.authenticate(
      { identifier, clientId: pending.clientId, ip: request.clientIp, context: auditContext(request) },
      async (): Promise<AuthenticationResult> =>
        password.length > MAX_PASSWORD_LENGTH
          ? { outcome: 'invalid_credentials' }
          : authenticate(deps.db, deps.identifiers, deps.passwords, identifier, password),
    );
  } catch (error) {
    if (error instanceof OverloadedError) {
      return showOverloaded(deps, request, reply, pending, { identifier, sharedDevice }, error);
    }
    throw error;
  }
  if (result.outcome === 'throttled') {
    transition('credentials', 'credentials_rejected');
    reply.header('retry-after', String(result.retryAfterSeconds));
    // The password was not checked, so the page shows only that sign-in is paused, whatever was typed.
    const form = { identifier, sharedDevice, errors: [], retryAfterSeconds: result.retryAfterSeconds };
    return showLoginPage(deps, request, reply.code(429), pending, form);
  }
  if (result.outcome !== 'success') {
    transition('credentials', 'credentials_rejected');
    const error: MessageKey =
      result.outcome === 'unrecognized_identifier' ? 'login.error.identifier_unrecognized' : 'login.error.invalid_credentials';
    deps.logger.info({ interaction: pending.uid, outcome: result.outcome }, 'login failed');
    await deps.audit.record(loginFailed({ login: identifier, reason: result.outcome, clientId: pending.clientId, context: auditContext(request) }));
    return showLoginPage(deps, request, reply.code(result.outcome === 'unrecognized_identifier' ? 400 : 401), pending, {
      identifier,
      sharedDevice,
      errors: [error],
    });
  }

  transition('credentials', 'credentials_accepted');
  deps.logger.info({ interaction: pending.uid, personId: result.personId, identifierKind: result.identifierKind }, 'login succeeded');
  const context = auditContext(request);
  await deps.audit.record(loginSucceeded({ personId: result.personId, identifierKind: result.identifierKind, clientId: pending.clientId, sharedDevice, context }));
  const returnTo = await deps.gateway.finishLogin(request.raw, reply.raw, { accountId: result.personId, remember: !sharedDevice });
  return reply.redirect(returnTo, 303);
}

/**
 * Render the login form with 503 and Retry-After after the hash pool rejected
 * the check. Nothing is audited, because the password was not checked and a
 * record per rejected request would add load exactly when the server sheds
 * it. The pool counts the rejections (HashPoolStats.rejectedTotal) and logs
 * them at most once per 10 seconds.
 */
function showOverloaded(
  deps: LoginFlowDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  pending: PendingInteraction,
  form: { identifier: string; sharedDevice: boolean },
  error: OverloadedError,
): Promise<FastifyReply> {
  transition('credentials', 'credentials_rejected');
  reply.header('retry-after', String(error.retryAfterSeconds));
  return showLoginPage(deps, request, reply.code(503), pending, { ...form, errors: [], overloadRetryAfterSeconds: error.retryAfterSeconds });
}
