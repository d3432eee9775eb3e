import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InteractionExpiredError } from '../../errors/index.js';
import type { PendingInteraction } from '../../oidc/interactions.js';
import { assessRole } from '../../oidc/role-check.js';
import type { Role } from '../../roles/kinds.js';
import { roleLabel } from '../../roles/labels.js';
import { pageContextFor } from '../../server/page-context.js';
import { findGrantRole, bindGrantRole } from '../../storage/grant-roles.js';
import { findPersonById } from '../../storage/people.js';
import { setActiveRole } from '../../storage/session-state.js';
import { displayName } from '../../identity/claims.js';
import { rolePage } from '../../ui/pages/role.js';
import { unavailablePage } from '../../ui/pages/unavailable.js';
import type { LoginFlowDeps } from './deps.js';
import { transition } from './states.js';

const ROLE_CSRF = 'role';
const ABORT_CSRF = 'abort';

export const roleForm = z.object({ csrf: z.string().max(128).optional(), role: z.string().max(128).default('') });
export const abortForm = z.object({ csrf: z.string().max(128).optional() });

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
  const now = Date.now();
  const bound = await findGrantRole(deps.db, context.grantId);
  const replacement = bound !== undefined && bound.roleId !== role.id ? await deps.gateway.replaceGrant(context.grantId) : undefined;

  await deps.db.transaction().execute(async (trx) => {
    await bindGrantRole(trx, {
      grantId: replacement ?? context.grantId,
      personId: context.personId,
      clientId: pending.clientId,
      roleId: role.id,
      expiresAt: now + deps.config.refreshTokenTtl * 1000,
    });
    await setActiveRole(trx, context.sessionUid, context.personId, role.id, now + deps.config.sessionTtl * 1000);
  });
  deps.logger.info({ interaction: pending.uid, personId: context.personId, clientId: pending.clientId, roleKind: role.kind }, 'role selected');

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
    clientName,
    roles: decision.roles.map((role) => ({ id: role.id, label: roleLabel(role, page.t), active: role.id === situation.boundRoleId })),
  });
  return reply.type('text/html; charset=utf-8').send(body);
}

/** POST of the chooser: the role must be one the page offered. */
export async function submitRole(deps: LoginFlowDeps, request: FastifyRequest, reply: FastifyReply, pending: PendingInteraction) {
  const form = roleForm.safeParse(request.body ?? {});
  deps.csrf.verify(request, ROLE_CSRF, form.success ? form.data.csrf : undefined);
  const context = roleContext(pending);
  const { decision } = await assessRole(deps.db, deps.clients, { ...context, clientId: pending.clientId, chooserRequested: true });
  const chosen = decision.outcome === 'ask' ? decision.roles.find((role) => role.id === form.data?.role) : undefined;
  if (chosen === undefined) {
    return showRoleStep(deps, request, reply.code(400), pending);
  }
  transition('role', 'role_chosen');
  return applyRole(deps, request, reply, pending, chosen);
}

/** «Вернуться в сервис» from the unavailable page: the service gets access_denied, never a token. */
export async function abortToService(deps: LoginFlowDeps, request: FastifyRequest, reply: FastifyReply, pending: PendingInteraction) {
  const form = abortForm.safeParse(request.body ?? {});
  deps.csrf.verify(request, ABORT_CSRF, form.success ? form.data.csrf : undefined);
  transition('unavailable', 'back_to_service');
  const returnTo = await deps.gateway.abort(request.raw, reply.raw, 'access_denied', 'the service accepts none of the roles of this person');
  return reply.redirect(returnTo, 303);
}
