import type { Kysely } from 'kysely';
import type { Account, AccountClaims, FindAccount } from 'oidc-provider';
import { personClaims } from '../identity/claims.js';
import { loadRolesWithGrantRole } from '../roles/load.js';
import { toRoleClaim } from '../roles/claim.js';
import { acceptedRoles } from '../roles/selection.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import type { DatabaseSchema } from '../storage/schema.js';
import { findPersonById } from '../storage/people.js';
import type { ClientDirectory } from './clients.js';
import type { RequestFacts } from './request-facts.js';
import { CLAIMS_BY_SCOPE } from './scopes.js';

const CONTACT_CLAIMS: readonly string[] = [...CLAIMS_BY_SCOPE.email, ...CLAIMS_BY_SCOPE.phone];

/**
 * True when the e-mail or phone may be released: their scope was granted, or
 * a claims request parameter names one of their claims.
 */
function needsContacts(scope: string, requested: Readonly<Record<string, unknown>> | undefined): boolean {
  const scopes = scope.split(' ');
  if (scopes.includes('email') || scopes.includes('phone')) {
    return true;
  }
  return requested !== undefined && CONTACT_CLAIMS.some((claim) => claim in requested);
}

/**
 * oidc-provider's findAccount. The `role` claim is the role bound to the
 * grant that issued the token, so every token of a grant carries one role;
 * a role switch creates a new grant. The person comes from the request's
 * session check when it read them, and the roles from the request's grant
 * lookup (see RequestFacts), else both from the database.
 */
export function createFindAccount(
  db: Kysely<DatabaseSchema>,
  identifiers: IdentifierCipher,
  clients: ClientDirectory,
  requestFacts: RequestFacts,
): FindAccount {
  return async (ctx, sub, token): Promise<Account | undefined> => {
    const person = requestFacts.takePerson(ctx, sub) ?? (await findPersonById(db, sub));
    if (person === undefined || person.status !== 'active') {
      return undefined;
    }

    const grantId = (token as { grantId?: string } | undefined)?.grantId ?? ctx.oidc.entities.Grant?.jti;
    const clientId = (token as { clientId?: string } | undefined)?.clientId ?? ctx.oidc.client?.clientId;

    return {
      accountId: sub,
      async claims(_use, scope, requested): Promise<AccountClaims> {
        const withContacts = needsContacts(scope, requested);
        const claims: AccountClaims = { sub, ...(await personClaims(db, identifiers, person, withContacts)) };
        const profile = clientId === undefined ? undefined : await clients.profile(clientId);
        if (profile === undefined) {
          return claims;
        }

        const alreadyRead = grantId === undefined ? undefined : requestFacts.takeGrantRoles(ctx, grantId, sub);
        const stored = await loadRolesWithGrantRole(db, sub, grantId, alreadyRead);
        const roles = acceptedRoles(stored.roles, profile.acceptedRoleKinds);
        claims.roles = roles.map(toRoleClaim);
        const active = roles.find((role) => role.id === stored.grantRoleId);
        if (active !== undefined) {
          claims.role = toRoleClaim(active);
        }
        return claims;
      },
    };
  };
}
