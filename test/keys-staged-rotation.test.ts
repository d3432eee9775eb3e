// The two-step key rotation across nodes: `propusk keys stage`, a restart,
// `propusk keys activate`, a restart. Three nodes share one SQLite database
// and one issuer URL behind a loopback load balancer: A started before the
// stage, B after the stage, C after the activation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { TestBrowser } from './helpers/browser.js';
import { startLoadBalancer, type LoadBalancer } from './helpers/load-balancer.js';
import { authorizationRequest, callbackUrl, client, DEMO_PASSWORD, passwordLogin, redeem, relyingParty, submitLogin, type RelyingParty } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const LOGIN = '+79160000001';

interface CliResult {
  code: number;
  stderr: string;
}

/** Run `propusk ARGS` in a child process on the nodes' data directory. */
function propuskCli(dataDir: string, args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_ENV: 'test', PROPUSK_DEMO: 'false', PROPUSK_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { env, timeout: 60_000 }, (error, _stdout, stderr) => {
      let code = 0;
      if (error !== null) {
        // A numeric code is the exit status. Anything else (a timeout, a spawn failure) counts as -1.
        code = typeof error.code === 'number' ? error.code : -1;
      }
      resolve({ code, stderr });
    });
  });
}

function portOf(node: RunningPropusk): number {
  return (node.app.server.address() as AddressInfo).port;
}

function kidOf(jwt: string | undefined): string | undefined {
  assert.ok(jwt !== undefined, 'the response has no ID token');
  return decodeProtectedHeader(jwt).kid;
}

async function fetchJwks(issuer: string): Promise<JSONWebKeySet> {
  const response = await fetch(`${issuer}/oidc/jwks`);
  assert.equal(response.status, 200);
  return (await response.json()) as JSONWebKeySet;
}

/** Kids of the stored signing keys with this status, RS256 first. */
async function signingKids(node: RunningPropusk, status: 'current' | 'next' | 'previous'): Promise<string[]> {
  const rows = await node.runtime.store.db.selectFrom('keys').select(['kid', 'alg']).where('use', '=', 'sig').where('status', '=', status).orderBy('alg', 'desc').execute();
  return rows.map((row) => row.kid);
}

/** Send an authorization request from a browser with a session, expect the code without a login page, and redeem it. */
async function singleSignOn(browser: TestBrowser, rp: RelyingParty) {
  const auth = await authorizationRequest(rp);
  return redeem(rp, callbackUrl(await browser.follow(auth.url.toString()), rp), auth);
}

describe('keys stage and activate', () => {
  test('activate without stage fails with the message', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-activate-'));
    try {
      const result = await propuskCli(dataDir, ['keys', 'activate']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^No key generation is staged, so there is nothing to activate\. Run `propusk keys stage`, restart every node, then run `propusk keys activate`\.$/m);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('nodes interoperate through both steps', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-staged-'));
    const nodes: RunningPropusk[] = [];
    let balancer: LoadBalancer | undefined;
    try {
      balancer = await startLoadBalancer();
      const issuer = balancer.url;
      const startNode = async () => {
        const node = await startPropusk({ dataDir, env: { PROPUSK_ISSUER: issuer } });
        nodes.push(node);
        return node;
      };
      const use = (node: RunningPropusk) => balancer?.routeTo(portOf(node));

      // Node A: the first generation only.
      const a = await startNode();
      use(a);
      const rp = await relyingParty(issuer, 'dnevnik');
      const before = await passwordLogin(issuer, rp, LOGIN);
      const [oldKid] = await signingKids(a, 'current');
      assert.equal(kidOf(before.tokens.id_token), oldKid);

      const staged = await propuskCli(dataDir, ['keys', 'stage']);
      assert.equal(staged.code, 0, staged.stderr);
      const [newKid, newEcKid] = await signingKids(a, 'next');
      assert.ok(newKid !== undefined, 'the stage stored an RS256 key');
      assert.ok(newEcKid !== undefined, 'the stage stored an ES256 key');

      // Node B, started after the stage: publishes the staged keys, still signs with the current ones.
      const b = await startNode();
      use(b);
      const jwksB = (await fetchJwks(issuer)).keys.map((key) => key.kid);
      assert.ok(jwksB.includes(newKid), 'the staged RS256 key is published');
      assert.ok(jwksB.includes(newEcKid), 'the staged ES256 key is published');
      assert.ok(jwksB.indexOf(oldKid as string) < jwksB.indexOf(newKid), 'the current key comes first');
      const onB = await passwordLogin(issuer, rp, LOGIN);
      assert.equal(kidOf(onB.tokens.id_token), oldKid, 'a token issued after the stage is signed with the current key');
      assert.equal(kidOf((await singleSignOn(before.browser, rp)).id_token), oldKid, 'B accepts the session cookie of A');

      const activated = await propuskCli(dataDir, ['keys', 'activate']);
      assert.equal(activated.code, 0, activated.stderr);
      assert.deepEqual(await signingKids(a, 'current'), [newKid, newEcKid]);

      // Node C, started after the activation: signs with the new keys and still verifies the old ones.
      const c = await startNode();
      use(c);
      const onC = await passwordLogin(issuer, rp, LOGIN);
      assert.equal(kidOf(onC.tokens.id_token), newKid, 'a token issued after the activation carries the new kid');
      const jwksC = await fetchJwks(issuer);
      await jwtVerify(before.tokens.id_token as string, createLocalJWKSet(jwksC), { issuer, audience: 'dnevnik' });
      const refreshed = await client.refreshTokenGrant(rp.config, before.tokens.refresh_token as string);
      assert.equal(kidOf(refreshed.id_token), newKid, 'a refresh on C signs with the new key');

      // Back to B, which loaded the new keys as staged: it verifies C's tokens and accepts C's cookies.
      use(b);
      await jwtVerify(onC.tokens.id_token as string, createLocalJWKSet(await fetchJwks(issuer)), { issuer, audience: 'dnevnik' });
      assert.equal(kidOf((await singleSignOn(onC.browser, rp)).id_token), oldKid, 'B accepts the session cookie that C signed with the new key');

      // A login that starts on C (interaction cookie and CSRF token under the new key) and finishes on B.
      use(c);
      const browser = new TestBrowser(issuer);
      const auth = await authorizationRequest(rp);
      const loginPage = await browser.follow(auth.url.toString());
      assert.equal(loginPage.status, 200);
      use(b);
      const finished = await redeem(rp, callbackUrl(await submitLogin(browser, loginPage, LOGIN, DEMO_PASSWORD), rp), auth);
      assert.equal(kidOf(finished.id_token), oldKid);

      // Why the restart after the stage matters: A never loaded the new cookie key, so a session from C is unknown there.
      use(c);
      const lateOnC = await passwordLogin(issuer, rp, LOGIN);
      use(a);
      const onA = await lateOnC.browser.follow((await authorizationRequest(rp)).url.toString());
      assert.equal(onA.status, 200, 'A shows the login page instead of redirecting with a code');
      assert.match(onA.body, /Телефон, электронная почта или СНИЛС/);

      const steps = await a.runtime.store.db.selectFrom('audit_events').select('details').where('type', '=', 'keys.rotated').orderBy('seq').execute();
      assert.deepEqual(
        steps.map((row) => (JSON.parse(row.details) as { step: string }).step),
        ['stage', 'activate'],
      );
    } finally {
      for (const node of nodes.reverse()) {
        await node.stop();
      }
      await balancer?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
