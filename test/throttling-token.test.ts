// Failed-attempt delays at the token endpoint: client secrets and codes or
// refresh tokens, over HTTP against a real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { client, passwordLogin, relyingParty, serviceSecret } from './helpers/oidc-flow.js';
import { createPostgresSchema } from './helpers/databases.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const CLIENT_FREE = 2;
const GRANT_FREE = 2;

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function tokenRequest(issuer: string, authorization: string, body: Record<string, string>, accept = 'application/json', forwardedFor?: string) {
  const response = await fetch(`${issuer}/oidc/token`, {
    method: 'POST',
    headers: {
      authorization,
      accept,
      'content-type': 'application/x-www-form-urlencoded',
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
    body: new URLSearchParams(body).toString(),
  });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), text };
}

const junkRefresh = { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token-of-this-server' };

/*
 * On SQLite every query of a token request completes synchronously, so
 * parallel token requests run one after another in the server. PostgreSQL
 * queries wait for the network, so there the requests really overlap.
 */
function runTokenSuite(name: string, database: () => Promise<{ url?: string; drop(): Promise<void> }>, gate: { skip?: string } = {}) {
  describe(`token endpoint throttling on ${name}`, gate, () => {
    let propusk: RunningPropusk;
    let schema: { url?: string; drop(): Promise<void> };

    before(async () => {
      schema = await database();
      propusk = await startPropusk({
        ...(schema.url === undefined ? {} : { databaseUrl: schema.url }),
        env: {
          PROPUSK_THROTTLE_CLIENT_FREE_FAILURES: String(CLIENT_FREE),
          PROPUSK_THROTTLE_CLIENT_GRANT_FREE_FAILURES: String(GRANT_FREE),
          PROPUSK_THROTTLE_FIRST_DELAY: '60',
          // The test client stands in for a proxy, so X-Forwarded-For can place
          // requests in other networks (documentation addresses, never contacted).
          PROPUSK_TRUSTED_PROXIES: '127.0.0.1',
        },
      });
    });

    test('a stranger’s wrong secrets do not delay the service itself', async () => {
      const stranger = '198.51.100.7';
      const service = '203.0.113.9';
      for (let i = 1; i <= CLIENT_FREE + 2; i += 1) {
        await tokenRequest(propusk.issuer, basic('spravka', `guess-${i}`), junkRefresh, 'application/json', stranger);
      }
      const strangerAgain = await tokenRequest(propusk.issuer, basic('spravka', 'guess-x'), junkRefresh, 'application/json', stranger);
      assert.equal(strangerAgain.status, 429, 'the stranger is delayed');
      const real = await tokenRequest(propusk.issuer, basic('spravka', serviceSecret('spravka').secret), junkRefresh, 'application/json', service);
      assert.equal(real.status, 400, `the service from its own network is not delayed: ${real.text}`);
    });
    after(async () => {
      await propusk?.stop();
      await schema?.drop();
    });

    test('unknown client ids share one counter per network', async () => {
      const serviceCounters = async () => {
        const result = await sql<{ n: number | string }>`select count(*) as n from throttle_counters where counter_key like 'client.secret:%'`.execute(propusk.runtime.store.db);
        return Number(result.rows[0]?.n);
      };
      const before = await serviceCounters();
      // Every guess names a new client id, and all of them come from one network.
      const network = '100.64.1.1';
      for (let i = 1; i <= CLIENT_FREE + 1; i += 1) {
        const answer = await tokenRequest(propusk.issuer, basic(`no-such-service-${i}`, 'guess'), junkRefresh, 'application/json', network);
        assert.equal(answer.status, 401, `guess ${i}: ${answer.text}`);
        assert.match(answer.text, /invalid_client/);
      }
      assert.equal(await serviceCounters(), before + 1, 'one counter row for all the unknown ids');
      const delayed = await tokenRequest(propusk.issuer, basic('no-such-service-next', 'guess'), junkRefresh, 'application/json', network);
      assert.equal(delayed.status, 429, 'delayed after as many failures as a registered service');

      const wrongSecret = await tokenRequest(propusk.issuer, basic('zhurnal', 'guess'), junkRefresh, 'application/json', network);
      assert.equal(wrongSecret.status, 401, `a registered service is counted apart: ${wrongSecret.text}`);
      assert.equal(await serviceCounters(), before + 2, 'a registered service gets a counter of its own');
    });

    test('guessing a client secret gets 429 with Retry-After, even with the right one', async () => {
      for (let i = 1; i <= CLIENT_FREE + 1; i += 1) {
        const answer = await tokenRequest(propusk.issuer, basic('dnevnik', `guess-${i}`), junkRefresh);
        assert.equal(answer.status, 401, `guess ${i}: ${answer.text}`);
        assert.match(answer.text, /invalid_client/);
      }

      const rejected = await tokenRequest(propusk.issuer, basic('dnevnik', serviceSecret('dnevnik').secret), junkRefresh);
      assert.equal(rejected.status, 429);
      assert.ok(Number(rejected.retryAfter) > 0, `Retry-After ${rejected.retryAfter}`);
      assert.ok(Number(rejected.retryAfter) <= 60, `Retry-After ${rejected.retryAfter}`);
      assert.equal((JSON.parse(rejected.text) as { error: string }).error, 'temporarily_unavailable');

      const otherService = await tokenRequest(propusk.issuer, basic('zhurnal', serviceSecret('zhurnal').secret), junkRefresh);
      assert.equal(otherService.status, 400, 'another service is not delayed');
    });

    test('parallel requests with the right secret are not delayed', async () => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`${propusk.issuer}/oidc/token/introspection`, {
            method: 'POST',
            headers: { authorization: basic('zhurnal', serviceSecret('zhurnal').secret), 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ token: 'not-a-token-of-this-server' }).toString(),
          }),
        ),
      );
      assert.deepEqual([...new Set(responses.map((response) => response.status))], [200]);
    });

    test('asking for an HTML answer does not escape the count', async () => {
      for (let i = 1; i <= CLIENT_FREE + 1; i += 1) {
        const answer = await tokenRequest(propusk.issuer, basic('biblioteka', `guess-${i}`), junkRefresh, 'text/html');
        assert.equal(answer.status, 401, `guess ${i}`);
      }
      assert.equal((await tokenRequest(propusk.issuer, basic('biblioteka', 'guess-x'), junkRefresh, 'text/html')).status, 429);
    });

    test('a service presenting unknown refresh tokens is delayed', async () => {
      const authorization = basic('portfolio', serviceSecret('portfolio').secret);
      for (let i = 1; i <= GRANT_FREE + 1; i += 1) {
        const answer = await tokenRequest(propusk.issuer, authorization, junkRefresh);
        assert.equal(answer.status, 400, `token ${i}: ${answer.text}`);
        assert.match(answer.text, /invalid_grant/);
      }
      assert.equal((await tokenRequest(propusk.issuer, authorization, junkRefresh)).status, 429);
    });

    test('a rejection is recorded in the audit log', async () => {
      const result = await sql<{ client_id: string | null; details: string }>`select client_id, details from audit_events where type = 'login.throttled'`.execute(
        propusk.runtime.store.db,
      );
      const dnevnik = result.rows.find((row) => row.client_id === 'dnevnik');
      assert.ok(dnevnik !== undefined, `events: ${JSON.stringify(result.rows)}`);
      const details = JSON.parse(dnevnik.details) as Record<string, unknown>;
      assert.equal(details.surface, 'client_authentication');
      assert.match(String(details.scopes), /client\.secret/);
      assert.ok(!dnevnik.details.includes('secret-'), 'no secret in the details');
    });

    test('a correct code and refresh token still work', async () => {
      const rp = await relyingParty(propusk.issuer, 'spravka');
      const { tokens } = await passwordLogin(propusk.issuer, rp, 'kuznetsova@example.ru');
      assert.ok(tokens.access_token);
      const refreshed = await client.refreshTokenGrant(rp.config, tokens.refresh_token as string);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    });
  });
}

runTokenSuite('SQLite', async () => ({ drop: async () => {} }));
runTokenSuite('PostgreSQL', createPostgresSchema, await serviceGate(postgresAvailable));
