import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditContext } from '../../audit/context.js';
import { recordRoleSwitch } from '../../audit/role-switch.js';
import { InteractionExpiredError } from '../../errors/index.js';
import type { PendingInteraction } from '../../oidc/interactions.js';
import { assessRole, bindRole } from '../../oidc/role-check.js';
import { ACCOUNT_CLIENT_ID } from '../../oidc/scopes.js';
import type { Role } from '../../roles/kinds.js';
import { roleLabel } from '../../roles/labels.js';
import { formField } from '../../server/form.js';
import { pageContextFor } from '../../server/page-context.js';
import { findGrantRole } from '../../storage/grant-roles.js';
import { findPersonById } from '../../storage/people.js';
import { getSessionState } from '../../storage/session-state.js';
import { displayName } from '../../identity/claims.js';
import { rolePage } from '../../ui/pages/role.js';
import { unavailablePage } from '../../ui/pages/unavailable.js';
import type { LoginFlowDeps } from './deps.js';
import { transition } from './states.js';

const ROLE_CSRF = 'role';
const ABORT_CSRF = 'abort';


interface RoleContext {
  personId: string;
  sessionUid: string;
  grantId: string;
}

function roleContext(pending: PendingInteraction): RoleContext {
  if (pending.accountId === undefined || pending.sessionUid === undefined || pending.grantId === undefined) {
    throw new InteractionExpiredError();
  }
  return { personId: pending.accountId, sessionUid: pending.sessionUid, grantId: pending.grantId };
}

/**
 * Bind the role to the service's grant and make it the session's active
 * role. A different role than the grant had means a new grant, so tokens
 * issued under the old role stop working.
 */
async function applyRole(deps: LoginFlowDeps, request: FastifyRequest, reply: FastifyReply, pending: PendingInteraction, role: Role) {
  const context = roleContext(pending);
  const bound = await findGrantRole(deps.db, context.grantId);
  const replacement = bound !== undefined && bound.roleId !== role.id ? await deps.gateway.replaceGrant(context.grantId) : undefined;
  const previous = await getSessionState(deps.db, context.sessionUid);

  await bindRole(deps.db, { grantRoleMs: deps.config.refreshTokenTtl * 1000, sessionMs: deps.config.sessionTtl * 1000 }, {
    grantId: replacement ?? context.grantId,
    sessionUid: context.sessionUid,
    personId: context.personId,
    clientId: pending.clientId,
    roleId: role.id,
  });
  deps.logger.info({ interaction: pending.uid, personId: context.personId, clientId: pending.clientId, roleKind: role.kind }, 'role selected');
  await recordRoleSwitch(deps.audit, deps.db, {
    personId: context.personId,
    clientId: pending.clientId,
    previousRoleId: previous?.personId === context.personId ? previous.activeRoleId : null,
    role,
    context: auditContext(request),
  });

  const returnTo = await deps.gateway.finishRole(request.raw, reply.raw, { replaceGrantId: replacement });
  return reply.redirect(returnTo, 303);
}

/** GET of the role step: continue at once, show the chooser, or say the service is not for these roles. */
export async function showRoleStep(deps: LoginFlowDeps, request: FastifyRequest, reply: FastifyReply, pending: PendingInteraction) {
  const context = roleContext(pending);
  const situation = await assessRole(deps.db, deps.clients, { ...context, clientId: pending.clientId, chooserRequested: pending.chooserRequested });
  const { decision } = situation;
  const page = pageContextFor(request, deps.config.demo, pending.uiLocales);
  const profile = await deps.clients.profile(pending.clientId);
  const clientName = profile?.displayName ?? pending.clientId;

  if (decision.outcome === 'use') {
    transition('role', 'role_decided');
    return applyRole(deps, request, reply, pending, decision.role);
  }
  if (decision.outcome === 'unavailable') {
    transition('role', 'no_accepted_role');
    const kinds = (profile?.acceptedRoleKinds ?? []).map((kind) => page.t(`role_kind.${kind}`));
    const body = unavailablePage(page, {
      clientName,
      acceptedKindLabels: kinds,
      abortAction: `/interaction/${pending.uid}/abort`,
      csrfToken: deps.csrf.issue(request, reply, ABORT_CSRF),
    });
    return reply.code(403).type('text/html; charset=utf-8').send(body);
  }

  transition('role', 'role_needs_choice');
  const person = await findPersonById(deps.db, context.personId);
  const body = rolePage(page, {
    action: `/interaction/${pending.uid}/role`,
    csrfToken: deps.csrf.issue(request, reply, ROLE_CSRF),
    personName: person === undefined ? '' : displayName(person),
    clientName: pending.clientId === ACCOUNT_CLIENT_ID ? null : clientName,
    roles: decision.roles.map((role) => ({ id: role.id, label: roleLabel(role, page.t), active: role.id === situation.boundRoleId })),
  });
  return reply.type('text/html; charset=utf-8').send(body);
}

/** POST of the chooser: the role must be one the page offered. */
export async function submitRole(deps: LoginFlowDeps, request: FastifyRequest, reply: FastifyReply, pending: PendingInteraction) {
  deps.csrf.verify(request, ROLE_CSRF, formField(request.body, 'csrf'));
  const roleId = formField(request.body, 'role');
  const context = roleContext(pending);
  const { decision } = await assessRole(deps.db, deps.clients, { ...context, clientId: pending.clientId, chooserRequested: true });
  const chosen = decision.outcome === 'ask' ? decision.roles.find((role) => role.id === roleId) : undefined;
  if (chosen === undefined) {
    return showRoleStep(deps, request, reply.code(400), pending);
  }
  transition('role', 'role_chosen');
  return applyRole(deps, request, reply, pending, chosen);
}

/** «Вернуться в сервис» from the unavailable page: the service gets access_denied, never a token. */
export async function abortToService(deps: LoginFlowDeps, request: FastifyRequest, reply: FastifyReply, pending: PendingInteraction) {
  deps.csrf.verify(request, ABORT_CSRF, formField(request.body, 'csrf'));
  transition('unavailable', 'back_to_service');
  const returnTo = await deps.gateway.abort(request.raw, reply.raw, 'access_denied', 'the service accepts none of the roles of this person');
  return reply.redirect(returnTo, 303);
}
