// Parallel reuse of one authorization code or refresh token: one request
// wins, and the grant is revoked whichever order the losers read the record in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizationRequest, callbackUrl, client, DEMO_PASSWORD, passwordLogin, relyingParty, submitLogin, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const RACERS = 12;

describe('parallel reuse revokes the grant', () => {
  let propusk: RunningPropusk;
  let dnevnik: RelyingParty;

  before(async () => {
    propusk = await startPropusk();
    dnevnik = await relyingParty(propusk.issuer, 'dnevnik');
  });
  after(async () => propusk?.stop());

  /** Assert that exactly one attempt succeeded and return its value. */
  function onlyWinner<T>(outcomes: PromiseSettledResult<T>[]): T {
    const won = outcomes.filter((outcome): outcome is PromiseFulfilledResult<T> => outcome.status === 'fulfilled');
    assert.equal(won.length, 1, `expected one success of ${outcomes.length}`);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') assert.equal((outcome.reason as { error?: string }).error, 'invalid_grant');
    }
    return (won[0] as PromiseFulfilledResult<T>).value;
  }

  test('refresh token race', async () => {
    const { tokens } = await passwordLogin(propusk.issuer, dnevnik, '+79160000001');
    const refreshToken = tokens.refresh_token as string;
    const outcomes = await Promise.allSettled(Array.from({ length: RACERS }, () => client.refreshTokenGrant(dnevnik.config, refreshToken)));
    const winner = onlyWinner(outcomes);

    await assert.rejects(client.fetchUserInfo(dnevnik.config, winner.access_token, client.skipSubjectCheck), 'the winner’s access token is revoked');
    await assert.rejects(client.refreshTokenGrant(dnevnik.config, winner.refresh_token as string), 'the winner’s refresh token is revoked');
  });

  test('authorization code race', async () => {
    const browser = new TestBrowser(propusk.issuer);
    const auth = await authorizationRequest(dnevnik);
    const page = await browser.follow(auth.url.toString());
    const callback = callbackUrl(await submitLogin(browser, page, '+79160000001', DEMO_PASSWORD), dnevnik);
    const redeem = () => client.authorizationCodeGrant(dnevnik.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state });
    const winner = onlyWinner(await Promise.allSettled(Array.from({ length: RACERS }, redeem)));

    await assert.rejects(client.fetchUserInfo(dnevnik.config, winner.access_token, client.skipSubjectCheck), 'the winner’s access token is revoked');
  });
});
