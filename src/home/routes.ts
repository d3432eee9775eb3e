import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { auditContext } from '../audit/context.js';
import type { AuditLog } from '../audit/events.js';
import { recentPersonalEvents } from '../audit/personal-events.js';
import { recordRoleSwitch } from '../audit/role-switch.js';
import type { Config } from '../config/load.js';
import { displayName, fullName } from '../identity/claims.js';
import type { SessionIdRotator, SessionReader } from '../oidc/sessions.js';
import { moveRawSetCookies } from '../sessions/reply-cookies.js';
import { PASSWORD_CHANGE_PATH } from '../flows/password-change/paths.js';
import { ACCOUNT_CLIENT_ID, ROUTES } from '../oidc/scopes.js';
import { loadRoles } from '../roles/load.js';
import { roleLabel } from '../roles/labels.js';
import type { CsrfGuard } from '../server/csrf.js';
import { formField } from '../server/form.js';
import { pageContextFor } from '../server/page-context.js';
import { findPersonById } from '../storage/people.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { listServices } from '../storage/services.js';
import { getSessionState, setActiveRole } from '../storage/session-state.js';
import { anonymousHomePage, homePage } from '../ui/pages/home.js';

export interface HomeDeps {
  config: Config;
  db: Kysely<DatabaseSchema>;
  readSession: SessionReader;
  csrf: CsrfGuard;
  audit: AuditLog;
  rotateSessionId: SessionIdRotator;
}

const SWITCH_CSRF = 'switch-role';

/**
 * Propusk's own sign-in goes through the authorization endpoint like any
 * service's, as the built-in public client. The code that comes back is not
 * redeemed: the home page reads the session itself, and the unredeemed code
 * expires within a minute and is useless without its PKCE verifier.
 */
function accountLoginUrl(config: Config): string {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${config.issuer}${ROUTES.authorization}`);
  url.search = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${config.issuer}/`,
    state: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

async function renderHome(deps: HomeDeps, request: FastifyRequest, reply: FastifyReply, notice: boolean) {
  const page = pageContextFor(request, deps.config.demo);
  const session = await deps.readSession(request.raw, reply.raw);
  const person = session === undefined ? undefined : await findPersonById(deps.db, session.accountId);
  if (session === undefined || person === undefined || person.status !== 'active') {
    return reply.type('text/html; charset=utf-8').send(anonymousHomePage(page, '/login'));
  }

  const roles = await loadRoles(deps.db, person.id);
  const state = await getSessionState(deps.db, session.uid);
  const active = roles.find((role) => role.id === state?.activeRoleId) ?? roles[0];
  // TODO: services are platform-wide: a service meant for some schools only
  // cannot be registered as such yet, so every service that accepts the role
  // kind is listed, whatever the school.
  const services =
    active === undefined
      ? []
      : (await listServices(deps.db))
          .filter((service) => service.acceptedRoleKinds.includes(active.kind))
          .sort((a, b) => a.displayName.localeCompare(b.displayName, 'ru'));

  return reply.type('text/html; charset=utf-8').send(
    homePage(page, {
      personName: displayName(person),
      fullName: fullName(person),
      activeRoleLabel: active === undefined ? null : roleLabel(active, page.t),
      roles: roles.map((role) => ({ id: role.id, label: roleLabel(role, page.t), active: role.id === active?.id })),
      services: services.map((service) => ({ name: service.displayName, url: service.homeUrl })),
      switchAction: '/role',
      csrfToken: deps.csrf.issue(request, reply, SWITCH_CSRF),
      logoutUrl: ROUTES.end_session,
      passwordChangeUrl: PASSWORD_CHANGE_PATH,
      notice: notice ? page.t('home.role_switched') : null,
      securityEvents: await recentPersonalEvents(deps.db, person.id),
    }),
  );
}

export function registerHome(app: FastifyInstance, deps: HomeDeps): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    // The account client's authorization response lands here; drop its
    // parameters from the address bar and history.
    if (request.query.code !== undefined || request.query.error !== undefined) {
      return reply.redirect('/', 303);
    }
    return renderHome(deps, request, reply, request.query.switched === '1');
  });

  app.get('/login', async (_request, reply) => reply.redirect(accountLoginUrl(deps.config), 303));

  app.post('/role', async (request, reply) => {
    deps.csrf.verify(request, SWITCH_CSRF, formField(request.body, 'csrf'));
    const session = await deps.readSession(request.raw, reply.raw);
    if (session === undefined) {
      return reply.redirect('/', 303);
    }
    const roles = await loadRoles(deps.db, session.accountId);
    const chosen = roles.find((role) => role.id === formField(request.body, 'role'));
    if (chosen === undefined) {
      return reply.redirect('/', 303);
    }
    const previousRoleId = (await getSessionState(deps.db, session.uid))?.activeRoleId ?? roles[0]?.id ?? null;
    await setActiveRole(deps.db, session.uid, session.accountId, chosen.id, Date.now() + deps.config.sessionTtl * 1000);
    const context = auditContext(request);
    await recordRoleSwitch(deps.audit, deps.db, { personId: session.accountId, clientId: null, previousRoleId, role: chosen, context });
    // A role switch is a change of privilege: the session gets a new id, and the old one stops working.
    await deps.rotateSessionId(request.raw, reply.raw);
    moveRawSetCookies(reply);
    return reply.redirect('/?switched=1', 303);
  });
}
