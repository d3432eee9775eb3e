// The ID token signing algorithm of each service (import field
// id_token_signed_response_alg) over HTTP. openid-client verifies an ES256 ID
// token against Propusk's JWKS, and a default service still gets RS256.
// Logout tokens follow the service's algorithm. A changed algorithm applies
// to the next tokens, and older ID tokens stop working as id_token_hint.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { importRecords } from '../src/importer/index.js';
import { logOut, openWithSession, serviceAt } from './helpers/backchannel-flow.js';
import { TestBrowser } from './helpers/browser.js';
import { startLogoutReceiver, verifyLogoutToken, type LogoutReceiver } from './helpers/logout-receiver.js';
import {
  authorizationRequest,
  callbackUrl,
  client,
  DEMO_PASSWORD,
  passwordLogin,
  redeem,
  serviceSecret,
  submitLogin,
  type RelyingParty,
} from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const DEMO_RP_BASE = 'http://localhost:3001';
const DEMO_DATA_TEXT = readFileSync(new URL('../src/demo/demo-data.json', import.meta.url), 'utf8');

/** Build the demo service's import record with its URLs at `rpBase` and the given ID token algorithm. */
function serviceRecord(clientId: string, rpBase: string, alg: string): Record<string, unknown> {
  const data = JSON.parse(DEMO_DATA_TEXT.replaceAll(DEMO_RP_BASE, rpBase)) as { services: Array<Record<string, unknown>> };
  const record = data.services.find((service) => service.client_id === clientId);
  assert.ok(record !== undefined, `no demo service ${clientId}`);
  return { ...record, id_token_signed_response_alg: alg };
}

/** Register the demo service `clientId` again through the importer, with another ID token algorithm. */
async function registerWithAlg(propusk: RunningPropusk, clientId: string, rpBase: string, alg: string): Promise<void> {
  await importRecords(propusk.runtime.store, propusk.runtime, { services: [serviceRecord(clientId, rpBase, alg)] });
}

/**
 * Create an openid-client relying party for the demo service that expects
 * `alg` (or, when undefined, sets no algorithm) and verifies every ID token
 * signature against the JWKS (non-repudiation checks).
 */
async function verifyingParty(issuer: string, clientId: string, rpBase: string, alg: string | undefined): Promise<RelyingParty> {
  const { secret, redirectUri, postLogoutRedirectUri } = serviceSecret(clientId);
  const metadata = alg === undefined ? undefined : { id_token_signed_response_alg: alg };
  const config = await client.discovery(new URL(issuer), clientId, metadata, client.ClientSecretBasic(secret), {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
  return {
    config,
    clientId,
    redirectUri: redirectUri.replace(DEMO_RP_BASE, rpBase),
    postLogoutRedirectUri: postLogoutRedirectUri.replace(DEMO_RP_BASE, rpBase),
  };
}

/** Fetch the JWKS and return the published key with this kid. */
async function publishedKey(issuer: string, kid: string | undefined): Promise<Record<string, unknown>> {
  const jwks = (await (await fetch(`${issuer}/oidc/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
  const key = jwks.keys.find((entry) => entry.kid === kid);
  assert.ok(key !== undefined, `kid ${String(kid)} is not in the JWKS`);
  return key;
}

describe('ID token algorithm per service', () => {
  let receiver: LogoutReceiver;
  let propusk: RunningPropusk;

  before(async () => {
    receiver = await startLogoutReceiver();
    propusk = await startPropusk({ rpBase: receiver.base });
    // Before any request, so the service cache has not read Журнал yet.
    await registerWithAlg(propusk, 'zhurnal', receiver.base, 'ES256');
  });

  after(async () => {
    await propusk.stop();
    await receiver.close();
  });

  test('ES256 service: openid-client verifies it', async () => {
    const zhurnal = await verifyingParty(propusk.issuer, 'zhurnal', receiver.base, 'ES256');

    const { tokens } = await passwordLogin(propusk.issuer, zhurnal, 'ivanova@example.ru');

    const header = decodeProtectedHeader(tokens.id_token as string);
    assert.equal(header.alg, 'ES256');
    const key = await publishedKey(propusk.issuer, header.kid);
    assert.equal(key.kty, 'EC');
    assert.equal(key.crv, 'P-256');
    assert.equal(key.alg, 'ES256');
    assert.equal((tokens.claims()?.role as { kind: string }).kind, 'teacher');

    const refreshed = await client.refreshTokenGrant(zhurnal.config, tokens.refresh_token as string);
    assert.equal(decodeProtectedHeader(refreshed.id_token as string).alg, 'ES256');
  });

  test('default service still gets RS256', async () => {
    const dnevnik = await verifyingParty(propusk.issuer, 'dnevnik', receiver.base, undefined);

    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, 'ivanova@example.ru');

    const header = decodeProtectedHeader(tokens.id_token as string);
    assert.equal(header.alg, 'RS256');
    assert.equal((await publishedKey(propusk.issuer, header.kid)).kty, 'RSA');
  });

  test('RS256 client rejects ES256 token', async () => {
    const expectsRs256 = await verifyingParty(propusk.issuer, 'zhurnal', receiver.base, 'RS256');
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(expectsRs256);
    const loginPage = await browser.follow(auth.url.toString());
    const hop = await submitLogin(browser, loginPage, 'ivanova@example.ru', DEMO_PASSWORD);

    await assert.rejects(redeem(expectsRs256, callbackUrl(hop, expectsRs256), auth), (error: Error) => {
      assert.match(String((error.cause as Error | undefined)?.message), /unexpected JWT "alg" header parameter/);
      return true;
    });
  });

  test('unconfigured openid-client accepts ES256', async () => {
    const discovery = (await (await fetch(`${propusk.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256', 'ES256']);
    // openid-client checks the alg against the discovery document when the client sets none.
    const unconfigured = await verifyingParty(propusk.issuer, 'zhurnal', receiver.base, undefined);
    const { tokens } = await passwordLogin(propusk.issuer, unconfigured, 'ivanova@example.ru');
    assert.equal(decodeProtectedHeader(tokens.id_token as string).alg, 'ES256');
  });

  test('logout tokens follow service algorithm', async () => {
    const zhurnal = await verifyingParty(propusk.issuer, 'zhurnal', receiver.base, 'ES256');
    const dnevnik = await serviceAt(propusk.issuer, receiver.base, 'dnevnik');
    const { tokens, browser } = await passwordLogin(propusk.issuer, dnevnik, 'ivanova@example.ru');
    await openWithSession(browser, zhurnal);
    const before = receiver.received.length;

    await logOut(browser, dnevnik, tokens.id_token as string);

    await receiver.waitFor(before + 2);
    const algorithms = new Map<string, unknown>();
    for (const entry of receiver.received.slice(before)) {
      assert.ok(entry.logoutToken !== undefined, 'no logout_token field');
      const { header } = await verifyLogoutToken(propusk.issuer, entry.logoutToken, entry.service);
      algorithms.set(entry.service, header.alg);
    }
    assert.equal(algorithms.get('zhurnal'), 'ES256');
    assert.equal(algorithms.get('dnevnik'), 'RS256');
  });
});

describe('ID token algorithm change', () => {
  test('next tokens switch, old hint rejected', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-alg-change-'));
    try {
      const first = await startPropusk({ dataDir });
      const issuer = first.issuer;
      let tokens;
      try {
        ({ tokens } = await passwordLogin(issuer, await verifyingParty(issuer, 'dnevnik', DEMO_RP_BASE, 'RS256'), 'ivanova@example.ru'));
      } finally {
        await first.stop();
      }
      assert.equal(decodeProtectedHeader(tokens.id_token as string).alg, 'RS256');

      // A restart on the same database starts with an empty service cache.
      const second = await startPropusk({ dataDir, port: Number(new URL(issuer).port) });
      try {
        await registerWithAlg(second, 'dnevnik', DEMO_RP_BASE, 'ES256');
        const dnevnik = await verifyingParty(issuer, 'dnevnik', DEMO_RP_BASE, 'ES256');

        const refreshed = await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
        assert.equal(decodeProtectedHeader(refreshed.id_token as string).alg, 'ES256');

        const endSession = (idToken: string) =>
          client.buildEndSessionUrl(dnevnik.config, { id_token_hint: idToken, post_logout_redirect_uri: dnevnik.postLogoutRedirectUri }).toString();
        const browser = new TestBrowser(issuer);
        const withOldHint = await browser.request(endSession(tokens.id_token as string));
        assert.equal(withOldHint.status, 400);
        assert.equal(withOldHint.location, undefined);
        const withNewHint = await browser.request(endSession(refreshed.id_token as string));
        assert.equal(withNewHint.status, 200, 'the same logout request with an ES256 hint is accepted');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
