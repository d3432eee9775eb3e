import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContext } from '../../audit/context.js';
import { OverloadedError } from '../../errors/index.js';
import type { MessageKey } from '../../i18n/catalogues/ru.js';
import type { SsoSession } from '../../oidc/sessions.js';
import { formField } from '../../server/form.js';
import { pageContextFor } from '../../server/page-context.js';
import { moveRawSetCookies } from '../../sessions/reply-cookies.js';
import { findPersonById, setPasswordHash } from '../../storage/people.js';
import type { Person } from '../../storage/types.js';
import { passwordChangedPage, passwordChangePage } from '../../ui/pages/password-change.js';
import { canonicalIp } from '../../throttling/network.js';
import { decidePasswordChange, type PasswordChangeDecision } from './change.js';
import type { PasswordChangeDeps } from './deps.js';
import { PASSWORD_CHANGED_PATH, PASSWORD_CHANGE_PATH } from './paths.js';

const CSRF_PURPOSE = 'password-change';
/** Redirect target for a browser without a signed-in session: the account login, which returns to the home page. */
const LOGIN_PATH = '/login';

/** Return this browser's signed-in, active person and session, or undefined. */
async function signedInPerson(deps: PasswordChangeDeps, request: FastifyRequest, reply: FastifyReply) {
  const session = await deps.readSession(request.raw, reply.raw);
  const person = session === undefined ? undefined : await findPersonById(deps.db, session.accountId);
  if (session === undefined || person === undefined || person.status !== 'active') {
    return undefined;
  }
  return { session, person };
}

function showForm(deps: PasswordChangeDeps, request: FastifyRequest, reply: FastifyReply, errors: MessageKey[], overloadRetryAfterSeconds?: number) {
  const page = pageContextFor(request, deps.config.demo);
  const body = passwordChangePage(page, {
    action: PASSWORD_CHANGE_PATH,
    csrfToken: deps.csrf.issue(request, reply, CSRF_PURPOSE),
    cancelUrl: '/',
    errors,
    overloadRetryAfterSeconds,
  });
  return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

/**
 * Store the new hash, end every other session of the person and revoke all
 * their grants, including the services' tokens in this browser. Then give
 * this browser's session a new id, so it stays signed in while a copy of its
 * old cookie stops working.
 */
async function applyChange(deps: PasswordChangeDeps, request: FastifyRequest, reply: FastifyReply, signedIn: { session: SsoSession; person: Person }, passwordHash: string) {
  const { session, person } = signedIn;
  const context = auditContext(request);
  await setPasswordHash(deps.db, person.id, passwordHash);
  const ended = await deps.sessions.endPersonSessions(person.id, 'password_changed', { keepSessionUid: session.uid, context });
  await deps.rotateSessionId(request.raw, reply.raw);
  moveRawSetCookies(reply);
  deps.logger.info({ personId: person.id, ...ended }, 'password changed');
  await deps.audit.record({ type: 'password.changed', personId: person.id, details: { sessionsEnded: ended.sessionsEnded }, context });
  return reply.redirect(PASSWORD_CHANGED_PATH, 303);
}

/** Return the hash pool's OverloadedError for a check submitted now, or undefined when the pool would admit it. */
function admissionRejection(deps: PasswordChangeDeps): OverloadedError | undefined {
  try {
    deps.passwords.checkAdmission();
    return undefined;
  } catch (error) {
    if (error instanceof OverloadedError) {
      return error;
    }
    throw error;
  }
}

/** Render the form with 503 and Retry-After. It is not audited, for the reason given at the login form's showOverloaded. */
function showOverloaded(deps: PasswordChangeDeps, request: FastifyRequest, reply: FastifyReply, error: OverloadedError) {
  reply.header('retry-after', String(error.retryAfterSeconds));
  return showForm(deps, request, reply.code(503), [], error.retryAfterSeconds);
}

export function registerPasswordChange(app: FastifyInstance, deps: PasswordChangeDeps): void {
  app.get(PASSWORD_CHANGE_PATH, async (request, reply) => {
    const signedIn = await signedInPerson(deps, request, reply);
    if (signedIn === undefined) {
      return reply.redirect(LOGIN_PATH, 303);
    }
    return showForm(deps, request, reply, []);
  });

  app.post(PASSWORD_CHANGE_PATH, async (request, reply) => {
    deps.csrf.verify(request, CSRF_PURPOSE, formField(request.body, 'csrf'));
    const signedIn = await signedInPerson(deps, request, reply);
    if (signedIn === undefined) {
      return reply.redirect(LOGIN_PATH, 303);
    }
    const form = {
      current: formField(request.body, 'current_password'),
      next: formField(request.body, 'new_password'),
      repeat: formField(request.body, 'new_password_repeat'),
    };
    // Under overload the check is rejected before the throttle reserves the attempt, so nothing is written.
    const rejection = admissionRejection(deps);
    if (rejection !== undefined) {
      return showOverloaded(deps, request, reply, rejection);
    }
    // The current-password check gets the login form's delays, on a counter of
    // its own for the person and the shared one for the address, so a
    // taken-over session cannot guess at argon2 speed.
    const reservation = await deps.throttle.reserve([
      { scope: 'login.account', id: `person:${signedIn.person.id}` },
      { scope: 'login.ip', id: canonicalIp(request.clientIp) },
    ]);
    if (!reservation.allowed) {
      deps.logger.info({ personId: signedIn.person.id, retryAfterSeconds: reservation.retryAfterSeconds }, 'password change throttled');
      await deps.audit.record({
        type: 'login.throttled',
        personId: signedIn.person.id,
        details: { surface: 'password_change', retryAfterSeconds: reservation.retryAfterSeconds },
        context: auditContext(request),
      });
      reply.header('retry-after', String(reservation.retryAfterSeconds));
      return showForm(deps, request, reply.code(429), ['password_change.error.throttled']);
    }

    let decision: PasswordChangeDecision;
    try {
      decision = await decidePasswordChange(deps.passwords, signedIn.person, form, await deps.passwordContext(signedIn.person));
    } catch (error) {
      // Nothing was decided, so nothing counts against the person or the address.
      await reservation.release();
      if (error instanceof OverloadedError) {
        return showOverloaded(deps, request, reply, error);
      }
      throw error;
    }
    if (decision.outcome === 'rejected' && decision.status === 401) {
      await reservation.record('failure');
      await deps.audit.record({
        type: 'login.failed',
        personId: signedIn.person.id,
        details: { surface: 'password_change', reason: 'current_password_wrong' },
        context: auditContext(request),
      });
    } else if (decision.outcome === 'rejected') {
      await reservation.release();
    } else {
      await reservation.record('success');
    }
    if (decision.outcome === 'rejected') {
      deps.logger.info({ personId: signedIn.person.id, errors: decision.errors }, 'password change rejected');
      return showForm(deps, request, reply.code(decision.status), decision.errors);
    }
    return applyChange(deps, request, reply, signedIn, decision.passwordHash);
  });

  app.get(PASSWORD_CHANGED_PATH, async (request, reply) => {
    const signedIn = await signedInPerson(deps, request, reply);
    if (signedIn === undefined) {
      return reply.redirect(LOGIN_PATH, 303);
    }
    const page = pageContextFor(request, deps.config.demo);
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(passwordChangedPage(page, '/'));
  });
}
