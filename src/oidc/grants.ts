import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

type Grant = InstanceType<Provider['Grant']>;

/**
 * Add the requested scopes and claims that the grant lacks. Every registered
 * service is one of the school's own and pre-approved, so nobody is asked to
 * consent. The grant still contains only what was requested.
 */
function coverRequest(ctx: KoaContextWithOIDC, grant: Grant): boolean {
  const missingScopes = [...ctx.oidc.requestParamOIDCScopes].filter((scope) => !grant.getOIDCScope().split(' ').includes(scope));
  const missingClaims = [...ctx.oidc.requestParamClaims].filter((claim) => !grant.getOIDCClaims().includes(claim));
  if (missingScopes.length > 0) {
    grant.addOIDCScope(missingScopes.join(' '));
  }
  if (missingClaims.length > 0) {
    grant.addOIDCClaims(missingClaims);
  }
  return missingScopes.length > 0 || missingClaims.length > 0;
}

/** oidc-provider's loadExistingGrant: find the session's grant for the client or create one. */
export async function loadOrCreateGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client;
  const accountId = oidc.session?.accountId;
  if (client === undefined || accountId === undefined) {
    return undefined;
  }

  const grantId = (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? oidc.session?.grantIdFor(client.clientId);
  let grant = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
  if (grant !== undefined && (grant.accountId !== accountId || grant.clientId !== client.clientId)) {
    grant = undefined;
  }

  if (grant === undefined) {
    grant = new oidc.provider.Grant({ accountId, clientId: client.clientId });
    coverRequest(ctx, grant);
    await grant.save();
    return grant;
  }
  if (coverRequest(ctx, grant)) {
    await grant.save();
  }
  return grant;
}

/**
 * Replace a grant with a fresh one holding the same scopes and claims, and
 * delete the old one. Tokens of the old grant stop working, so a service
 * never has valid tokens of two roles at once.
 */
export async function replaceGrant(provider: Provider, grantId: string): Promise<string> {
  const old = await provider.Grant.find(grantId);
  if (old === undefined || old.accountId === undefined || old.clientId === undefined) {
    throw new Error(`Grant ${grantId} not found while switching role`);
  }
  const fresh = new provider.Grant({ accountId: old.accountId, clientId: old.clientId });
  fresh.addOIDCScope(old.getOIDCScope());
  const claims = old.getOIDCClaims();
  if (claims.length > 0) {
    fresh.addOIDCClaims(claims);
  }
  const freshId = await fresh.save();
  await old.destroy();
  return freshId;
}
