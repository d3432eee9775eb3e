import type { Kysely } from 'kysely';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { findGrantWithRoles } from '../storage/grant-with-roles.js';
import type { OidcAdapter, OidcPayload } from '../storage/oidc-adapter.js';
import type { DatabaseSchema } from '../storage/schema.js';
import type { RequestFacts } from './request-facts.js';

/** The provider's routes that build claims after loading the grant: the token endpoint (the ID token) and userinfo. */
const CLAIMS_ROUTES: ReadonlySet<string> = new Set(['token', 'userinfo']);

/**
 * Wrap the Grant model's storage so that, on the routes that build claims, a
 * lookup by id also reads the grant's roles (findGrantWithRoles) and keeps
 * them for the claims of the same request (RequestFacts). Elsewhere,
 * introspection among them, the grant is read alone. Grants live in the
 * database in every set-up, so the wrapped adapter is the SQL one and only
 * `find` changes. A grant's role is bound at the authorization endpoint,
 * which builds no claims (the response type is code only), so roles kept
 * here are never older than a binding in the same request.
 */
export function readGrantRolesAlong(inner: OidcAdapter<OidcPayload>, db: Kysely<DatabaseSchema>, requestFacts: RequestFacts, clock: () => number = Date.now): OidcAdapter<OidcPayload> {
  return {
    upsert: (id, payload, expiresIn) => inner.upsert(id, payload, expiresIn),
    async find(id) {
      if (!CLAIMS_ROUTES.has((Provider.ctx as KoaContextWithOIDC | undefined)?.oidc?.route ?? '')) {
        return inner.find(id);
      }
      const found = await findGrantWithRoles<OidcPayload>(db, id, clock());
      if (found === undefined) {
        return undefined;
      }
      if (found.roles !== undefined) {
        requestFacts.rememberGrantRoles(id, found.roles);
      }
      return found.payload;
    },
    findByUid: (uid) => inner.findByUid(uid),
    findByUserCode: (userCode) => inner.findByUserCode(userCode),
    consume: (id) => inner.consume(id),
    destroy: (id) => inner.destroy(id),
    revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
  };
}
