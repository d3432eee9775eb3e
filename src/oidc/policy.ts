import type { Kysely } from 'kysely';
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { DatabaseSchema } from '../storage/schema.js';
import type { ClientDirectory } from './clients.js';
import type { RequestFacts } from './request-facts.js';
import { assessRole, bindRole, roleStepNeeded, type RoleBindingLifetimes } from './role-check.js';

const { Prompt, Check, base } = interactionPolicy;

export const ROLE_PROMPT = 'select_account';
export const ROLE_CHECK_REASON = 'role_required';
export const ROLE_REQUESTED_REASON = `${ROLE_PROMPT}_prompt`;

/**
 * oidc-provider's default policy (login, then consent) with a role step
 * between them. The step is the standard `select_account` prompt, so a
 * service asks for the role chooser with `prompt=select_account`, and a
 * `prompt=none` request that needs it fails with account_selection_required.
 */
export function createPolicy(
  db: Kysely<DatabaseSchema>,
  clients: ClientDirectory,
  lifetimes: RoleBindingLifetimes,
  requestFacts: RequestFacts,
): interactionPolicy.DefaultPolicy {
  const policy = base();
  const roleCheck = new Check(ROLE_CHECK_REASON, 'the role for this service must be chosen', async (ctx: KoaContextWithOIDC) => {
    const { session, client, entities } = ctx.oidc;
    if (session?.accountId === undefined || client === undefined || session.uid === undefined) {
      return Check.NO_NEED_TO_PROMPT;
    }
    const situation = await assessRole(db, clients, {
      personId: session.accountId,
      clientId: client.clientId,
      sessionUid: session.uid,
      grantId: entities.Grant?.jti,
      chooserRequested: false,
      knownSessionState: requestFacts.takeSessionState(ctx, session.uid),
    });
    // A new grant whose role needs no question gets it here, without an
    // interaction, so single sign-on also works with prompt=none. A change of
    // role replaces the grant and goes through the interaction instead.
    if (situation.decision.outcome === 'use' && situation.boundRoleId === null && entities.Grant?.jti !== undefined) {
      await bindRole(db, lifetimes, {
        grantId: entities.Grant.jti,
        sessionUid: session.uid,
        personId: session.accountId,
        clientId: client.clientId,
        roleId: situation.decision.role.id,
      });
      return Check.NO_NEED_TO_PROMPT;
    }
    return roleStepNeeded(situation) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
  });

  const consentIndex = policy.findIndex((prompt) => prompt.name === 'consent');
  policy.splice(consentIndex, 0, new Prompt({ name: ROLE_PROMPT, requestable: true }, roleCheck));
  return policy;
}
