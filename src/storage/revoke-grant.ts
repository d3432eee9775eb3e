import type { Kysely } from 'kysely';
import { deleteGrantRole } from './grant-roles.js';
import type { OidcAdapter, OidcPayload } from './oidc-adapter.js';
import type { DatabaseSchema } from './schema.js';

/**
 * Revoke a grant: delete the tokens and codes issued from it, the grant
 * itself and its role binding. `grants` is the Grant model's adapter, whose
 * `revokeByGrantId` reaches every store with tokens (with Redis, both).
 */
export async function revokeGrantRecords(grants: OidcAdapter<OidcPayload>, db: Kysely<DatabaseSchema>, grantId: string): Promise<void> {
  // Deleting the grant makes its tokens unusable; deleting the tokens as well leaves nothing behind.
  await grants.revokeByGrantId(grantId);
  await grants.destroy(grantId);
  await deleteGrantRole(db, grantId);
}
