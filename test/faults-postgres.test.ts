// PostgreSQL restarts and outages under two running nodes: /readyz follows
// the database, requests during an outage fail fast and cleanly, and the
// nodes recover by themselves with nothing lost.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import pg from 'pg';
import { TestBrowser, type Hop } from './helpers/browser.js';
import { logsOnFailure, startFaultCluster, type FaultCluster } from './helpers/faults-cluster.js';
import { assertCleanFailure, assertCleanFailureOrLoginRedirect, boundedFetch, NODE_NAMES, rawRefresh, readiness, waitForReadiness } from './helpers/faults-probes.js';
import { authorizationRequest, callbackUrl, client, DEMO_PASSWORD, passwordLogin, redeem, submitLogin, type RelyingParty } from './helpers/oidc-flow.js';
import { privateServicesAvailable } from './helpers/private-services.js';
import { serviceGate } from './helpers/services.js';

/** Tables whose rows an outage must not lose; the oidc-provider records may live in Redis instead. */
const DURABLE_TABLES = ['organizations', 'people', 'identifiers', 'roles', 'parent_links', 'services', 'keys'] as const;

async function rowCounts(databaseUrl: string): Promise<Record<string, number>> {
  const connection = new pg.Client({ connectionString: databaseUrl });
  await connection.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of DURABLE_TABLES) {
      const result = await connection.query<{ count: string }>(`select count(*) as count from ${table}`);
      counts[table] = Number(result.rows[0]?.count);
    }
    return counts;
  } finally {
    await connection.end();
  }
}

/** The PIDs of both node processes, which must not change: recovery needs no restart. */
function nodePids(cluster: FaultCluster): Array<number | undefined> {
  return NODE_NAMES.map((name) => {
    const child = cluster.nodes[name].child;
    assert.equal(child.exitCode, null, `node ${name.toUpperCase()} exited (code ${child.exitCode})`);
    return child.pid;
  });
}

describe('PostgreSQL restart under two nodes', await serviceGate(privateServicesAvailable), () => {
  let cluster: FaultCluster;
  let dnevnik: RelyingParty;
  let refreshToken: string;
  let countsBefore: Record<string, number>;

  before(async () => {
    cluster = await startFaultCluster();
    dnevnik = await cluster.service('dnevnik');
    countsBefore = await rowCounts(cluster.postgres.url);
  });
  afterEach(logsOnFailure(() => cluster));
  after(async () => {
    await cluster?.destroy();
  });

  test('pg_ctl restart: nodes recover by themselves', async () => {
    const { tokens } = await passwordLogin(cluster.issuer, dnevnik, 'ivanova@example.ru');
    refreshToken = tokens.refresh_token as string;
    await waitForReadiness(cluster, 200);
    const pids = nodePids(cluster);

    await cluster.postgres.restart();
    await waitForReadiness(cluster, 200);
    assert.deepEqual(nodePids(cluster), pids);

    for (const name of NODE_NAMES) {
      cluster.use(name);
      const refreshed = await client.refreshTokenGrant(dnevnik.config, refreshToken);
      refreshToken = refreshed.refresh_token as string;
      const { tokens } = await passwordLogin(cluster.issuer, dnevnik, '+79160000003');
      assert.ok(tokens.id_token, `login through node ${name.toUpperCase()} after the restart`);
    }
    assert.deepEqual(await rowCounts(cluster.postgres.url), countsBefore);
  });

  test('stop, outage, start: clean failures, then recovery', async () => {
    const pids = nodePids(cluster);
    cluster.use('b');
    const browser = new TestBrowser(cluster.issuer);
    const auth = await authorizationRequest(dnevnik);
    const form: Hop = await browser.follow(auth.url.toString());
    assert.equal(form.status, 200);

    await cluster.postgres.stop();
    try {
      await waitForReadiness(cluster, 503);
      for (const name of NODE_NAMES) {
        cluster.use(name);
        const label = `node ${name.toUpperCase()} during the outage`;
        assert.deepEqual((await readiness(cluster, name)).checks, { database: 'failed', migrations: 'not_checked', redis: 'ok' }, `${label}: /readyz`);
        assert.equal((await boundedFetch(`${cluster.nodes[name].origin}/healthz`)).status, 200, `${label}: /healthz`);
        assertCleanFailure(await rawRefresh(cluster, 'dnevnik', refreshToken), `${label}: refresh grant`);
        const newAuth = await authorizationRequest(dnevnik);
        assertCleanFailureOrLoginRedirect(await boundedFetch(newAuth.url.toString()), `${label}: authorization request`);
        assertCleanFailure(await submitLogin(browser, form, '+79160000001', DEMO_PASSWORD), `${label}: login form post`);
      }
    } finally {
      await cluster.postgres.start();
    }

    await waitForReadiness(cluster, 200);
    assert.deepEqual(nodePids(cluster), pids);
    for (const name of NODE_NAMES) {
      assert.deepEqual((await readiness(cluster, name)).checks, { database: 'ok', migrations: 'ok', redis: 'ok' });
    }

    cluster.use('a');
    const refreshed = await client.refreshTokenGrant(dnevnik.config, refreshToken);
    assert.ok(refreshed.access_token, 'the refresh token issued before the outage still works');
    // The interaction begun before the outage is intact: its form now logs in.
    const hop = await submitLogin(browser, form, '+79160000001', DEMO_PASSWORD);
    const tokens = await redeem(dnevnik, callbackUrl(hop, dnevnik), auth);
    assert.ok(tokens.id_token);
    assert.deepEqual(await rowCounts(cluster.postgres.url), countsBefore);
  });

  test('frozen database: requests fail within a bound', async () => {
    cluster.use('a');
    const { tokens } = await passwordLogin(cluster.issuer, dnevnik, '+79160000003');

    await cluster.postgres.freeze();
    try {
      await waitForReadiness(cluster, 503);
      for (const name of NODE_NAMES) {
        cluster.use(name);
        const label = `node ${name.toUpperCase()} with the database frozen`;
        assertCleanFailure(await rawRefresh(cluster, 'dnevnik', tokens.refresh_token as string), `${label}: refresh grant`);
        assertCleanFailureOrLoginRedirect(await boundedFetch((await authorizationRequest(dnevnik)).url.toString()), `${label}: authorization request`);
      }
    } finally {
      await cluster.postgres.thaw();
    }

    await waitForReadiness(cluster, 200);
    const refreshed = await client.refreshTokenGrant(dnevnik.config, tokens.refresh_token as string);
    assert.ok(refreshed.access_token, 'the refresh token refused while frozen still works');
  });
});
