import type { Kysely, Selectable } from 'kysely';
import { isStorableText, parseStringArray, toJsonText } from './codec.js';
import type { DatabaseSchema, ServicesTable } from './schema.js';
import type { RoleKind, Service, ServiceInput } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** Insert a service (an OIDC client) or update it by client id. `createdAt` keeps its first value. */
export async function upsertService(db: Db, input: ServiceInput): Promise<Service> {
  const now = Date.now();
  const row = await db
    .insertInto('services')
    .values({
      client_id: input.clientId,
      client_secret_encrypted: input.clientSecretEncrypted,
      display_name: input.displayName,
      home_url: input.homeUrl,
      redirect_uris: toJsonText(input.redirectUris),
      post_logout_redirect_uris: toJsonText(input.postLogoutRedirectUris),
      grant_types: toJsonText(input.grantTypes),
      accepted_role_kinds: toJsonText(input.acceptedRoleKinds),
      backchannel_logout_uri: input.backchannelLogoutUri,
      id_token_signed_response_alg: input.idTokenSignedResponseAlg,
      created_at: now,
      updated_at: now,
    })
    .onConflict((conflict) =>
      conflict.column('client_id').doUpdateSet((eb) => ({
        client_secret_encrypted: eb.ref('excluded.client_secret_encrypted'),
        display_name: eb.ref('excluded.display_name'),
        home_url: eb.ref('excluded.home_url'),
        redirect_uris: eb.ref('excluded.redirect_uris'),
        post_logout_redirect_uris: eb.ref('excluded.post_logout_redirect_uris'),
        grant_types: eb.ref('excluded.grant_types'),
        accepted_role_kinds: eb.ref('excluded.accepted_role_kinds'),
        backchannel_logout_uri: eb.ref('excluded.backchannel_logout_uri'),
        id_token_signed_response_alg: eb.ref('excluded.id_token_signed_response_alg'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toService(row);
}

export async function findService(db: Db, clientId: string): Promise<Service | undefined> {
  if (!isStorableText(clientId)) {
    return undefined;
  }
  const row = await db.selectFrom('services').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  return row === undefined ? undefined : toService(row);
}

/** Return every service, sorted by client id in code-point order on both databases. */
export async function listServices(db: Db): Promise<Service[]> {
  const rows = await db.selectFrom('services').selectAll().execute();
  return rows.map(toService).sort(compareClientIds);
}

function compareClientIds(left: Service, right: Service): number {
  if (left.clientId === right.clientId) {
    return 0;
  }
  return left.clientId < right.clientId ? -1 : 1;
}

function toService(row: Selectable<ServicesTable>): Service {
  return {
    clientId: row.client_id,
    clientSecretEncrypted: row.client_secret_encrypted,
    displayName: row.display_name,
    homeUrl: row.home_url,
    redirectUris: parseStringArray(row.redirect_uris, 'services.redirect_uris'),
    postLogoutRedirectUris: parseStringArray(row.post_logout_redirect_uris, 'services.post_logout_redirect_uris'),
    grantTypes: parseStringArray(row.grant_types, 'services.grant_types'),
    // NOTE: role kinds are checked when a service is registered, not here on read.
    acceptedRoleKinds: parseStringArray(row.accepted_role_kinds, 'services.accepted_role_kinds') as RoleKind[],
    backchannelLogoutUri: row.backchannel_logout_uri,
    idTokenSignedResponseAlg: row.id_token_signed_response_alg,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
