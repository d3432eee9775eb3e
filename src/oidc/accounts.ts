import type { Kysely } from 'kysely';
import type { Account, AccountClaims, FindAccount } from 'oidc-provider';
import { personClaims } from '../identity/claims.js';
import { loadRoles } from '../roles/load.js';
import { toRoleClaim } from '../roles/claim.js';
import { acceptedRoles } from '../roles/selection.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { findGrantRole } from '../storage/grant-roles.js';
import { findPersonById } from '../storage/people.js';
import type { ClientDirectory } from './clients.js';

/**
 * oidc-provider's findAccount. The `role` claim is the role bound to the
 * grant that issued the token, so every token of a grant carries one role;
 * a role switch creates a new grant.
 */
export function createFindAccount(db: Kysely<DatabaseSchema>, identifiers: IdentifierCipher, clients: ClientDirectory): FindAccount {
  return async (ctx, sub, token): Promise<Account | undefined> => {
    const person = await findPersonById(db, sub);
    if (person === undefined || person.status !== 'active') {
      return undefined;
    }

    const grantId = (token as { grantId?: string } | undefined)?.grantId ?? ctx.oidc.entities.Grant?.jti;
    const clientId = (token as { clientId?: string } | undefined)?.clientId ?? ctx.oidc.client?.clientId;

    return {
      accountId: sub,
      async claims(): Promise<AccountClaims> {
        const claims: AccountClaims = { sub, ...(await personClaims(db, identifiers, person)) };
        const profile = clientId === undefined ? undefined : await clients.profile(clientId);
        if (profile === undefined) {
          return claims;
        }

        const roles = acceptedRoles(await loadRoles(db, sub), profile.acceptedRoleKinds);
        claims.roles = roles.map(toRoleClaim);
        const binding = grantId === undefined ? undefined : await findGrantRole(db, grantId);
        const active = roles.find((role) => role.id === binding?.roleId);
        if (active !== undefined) {
          claims.role = toRoleClaim(active);
        }
        return claims;
      },
    };
  };
}
