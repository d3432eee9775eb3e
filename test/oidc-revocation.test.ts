import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { client, passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/*
 * Token revocation (RFC 7009) by the service the token was issued to, and
 * by another service, which must not end someone else's token.
 */
describe('token revocation by service', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;
  let biblioteka: RelyingParty;

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
    biblioteka = await relyingParty(propusk.issuer, 'biblioteka');
  });
  after(async () => propusk?.stop());

  test('own token: revoked, then inactive', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    await client.tokenRevocation(dnevnik.config, tokens.access_token);
    const introspected = await client.tokenIntrospection(dnevnik.config, tokens.access_token);
    assert.equal(introspected.active, false);
  });

  test("other service's token: rejected, stays active", async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000003');
    await assert.rejects(
      () => client.tokenRevocation(biblioteka.config, tokens.access_token),
      (error: Error & { error?: string }) => {
        assert.equal(error.error, 'invalid_request', String(error));
        return true;
      },
    );
    const introspected = await client.tokenIntrospection(dnevnik.config, tokens.access_token);
    assert.equal(introspected.active, true);
  });
});
