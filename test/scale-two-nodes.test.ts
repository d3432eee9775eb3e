// Two real Propusk nodes behind one issuer URL, sharing one PostgreSQL schema
// and one Redis (under a key prefix of their own): every step of a login may
// land on either node, as behind a load balancer without sticky sessions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { formField, TestBrowser, type Hop } from './helpers/browser.js';
import { createPostgresSchema } from './helpers/databases.js';
import {
  authorizationRequest,
  callbackUrl,
  chooseRole,
  client,
  DEMO_PASSWORD,
  redeem,
  relyingParty,
  submitLogin,
  type RelyingParty,
} from './helpers/oidc-flow.js';
import { freePort, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

type NodeName = 'A' | 'B';

/** Send a request to the chosen node while every URL keeps the issuer's origin, as a load balancer would. */
function onNode(url: string | URL, ports: Record<NodeName, number>, node: NodeName): URL {
  const target = new URL(url);
  target.port = String(ports[node]);
  return target;
}

/** A browser whose next requests go to node A or node B; cookies and URLs stay those of the one issuer. */
class TwoNodeBrowser extends TestBrowser {
  node: NodeName = 'A';

  constructor(
    private readonly issuer: string,
    private readonly ports: Record<NodeName, number>,
  ) {
    super(issuer);
  }

  override async request(url: string, init: Parameters<TestBrowser['request']>[1] = {}): Promise<Hop> {
    const issuerUrl = new URL(url, this.issuer);
    const hop = await super.request(onNode(issuerUrl, this.ports, this.node).toString(), init);
    return { ...hop, url: issuerUrl.toString() };
  }
}

/** Matcher for openid-client's ResponseBodyError with a given OAuth error code. */
function oauthError(code: string) {
  return (error: unknown) => {
    assert.equal((error as { error?: string }).error, code);
    return true;
  };
}

const gates = [await serviceGate(postgresAvailable), await serviceGate(redisAvailable)];

describe('two nodes share every login step', gates.find((gate) => gate.skip !== undefined) ?? {}, () => {
  const prefix = `propusk-test-${randomBytes(4).toString('hex')}:`;
  let schema: { url: string; drop(): Promise<void> };
  let nodes: Record<NodeName, RunningPropusk>;
  let ports: Record<NodeName, number>;
  let issuer: string;
  let redis: Redis;

  /** Build the service's relying party, with its back-channel requests (token, userinfo) sent to one node. */
  async function serviceOn(clientId: string, node: NodeName): Promise<RelyingParty> {
    const rp = await relyingParty(issuer, clientId);
    rp.config[client.customFetch] = (url, options) => fetch(onNode(url, ports, node), options as RequestInit);
    return rp;
  }

  before(async () => {
    schema = await createPostgresSchema();
    ports = { A: await freePort(), B: await freePort() };
    issuer = `http://localhost:${ports.A}`;
    const env = {
      PROPUSK_MASTER_KEY: randomBytes(32).toString('base64'),
      PROPUSK_ISSUER: issuer,
      REDIS_URL: redisUrl(),
      PROPUSK_REDIS_PREFIX: prefix,
    };
    nodes = {
      A: await startPropusk({ databaseUrl: schema.url, env, port: ports.A }),
      B: await startPropusk({ databaseUrl: schema.url, env, port: ports.B }),
    };
    redis = new Redis(redisUrl());
  });

  after(async () => {
    await nodes?.A.stop();
    await nodes?.B.stop();
    await schema?.drop();
    const keys = (await redis?.keys(`${prefix}*`)) ?? [];
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    redis?.disconnect();
  });

  test('log in across nodes, refresh and log out on the other', async () => {
    const bibliotekaOnA = await serviceOn('biblioteka', 'A');
    const bibliotekaOnB = await serviceOn('biblioteka', 'B');
    const browser = new TwoNodeBrowser(issuer, ports);

    const auth = await authorizationRequest(bibliotekaOnA);
    const loginPage = await browser.follow(auth.url.toString());
    assert.equal(loginPage.status, 200, 'node A shows the login form');

    browser.node = 'B';
    const chooser = await submitLogin(browser, loginPage, '+79160000001', DEMO_PASSWORD);
    assert.equal(chooser.status, 200, `node B accepts the form of node A: ${chooser.status} ${chooser.location ?? ''}`);
    assert.match(chooser.body, /Выберите роль/);

    browser.node = 'A';
    const callback = callbackUrl(await chooseRole(browser, chooser, 'Учитель'), bibliotekaOnA);
    const tokens = await redeem(bibliotekaOnB, callback, auth);
    assert.equal((tokens.claims()?.role as { kind: string }).kind, 'teacher', 'node B issues the role chosen on node A');

    const userinfo = await client.fetchUserInfo(bibliotekaOnA.config, tokens.access_token, tokens.claims()?.sub as string);
    assert.equal((userinfo.role as { kind: string }).kind, 'teacher', 'node A accepts the access token of node B');

    const rotated = await client.refreshTokenGrant(bibliotekaOnB.config, tokens.refresh_token as string);
    assert.ok(rotated.refresh_token !== undefined);
    await assert.rejects(client.refreshTokenGrant(bibliotekaOnA.config, tokens.refresh_token as string), oauthError('invalid_grant'));

    // Single sign-on on node A: Журнал accepts one role, so no password and no question.
    const zhurnalOnA = await serviceOn('zhurnal', 'A');
    const ssoAuth = await authorizationRequest(zhurnalOnA);
    const sso = await redeem(zhurnalOnA, callbackUrl(await browser.follow(ssoAuth.url.toString()), zhurnalOnA), ssoAuth);
    assert.equal(sso.claims()?.sub, tokens.claims()?.sub);

    browser.node = 'B';
    const endSession = client.buildEndSessionUrl(bibliotekaOnB.config, {
      id_token_hint: rotated.id_token as string,
      post_logout_redirect_uri: bibliotekaOnB.postLogoutRedirectUri,
    });
    const confirm = await browser.follow(endSession.toString());
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
    assert.ok(action !== undefined, `no logout form on node B: ${confirm.status}`);
    const done = await browser.follow(action, { form: { xsrf: formField(confirm.body, 'xsrf'), logout: 'yes' } });
    assert.equal(done.status, 303);

    browser.node = 'A';
    const silent = await authorizationRequest(zhurnalOnA, { prompt: 'none' });
    const ended = callbackUrl(await browser.follow(silent.url.toString()), zhurnalOnA);
    assert.equal(ended.searchParams.get('error'), 'login_required', 'node A sees the logout of node B');
    await assert.rejects(client.refreshTokenGrant(bibliotekaOnA.config, rotated.refresh_token as string), oauthError('invalid_grant'));
  });

  test('parallel redemptions on both nodes: one wins', async () => {
    const dnevnikOnA = await serviceOn('dnevnik', 'A');
    const dnevnikOnB = await serviceOn('dnevnik', 'B');
    const login = async () => {
      const browser = new TwoNodeBrowser(issuer, ports);
      const auth = await authorizationRequest(dnevnikOnA);
      const page = await browser.follow(auth.url.toString());
      return { auth, callback: callbackUrl(await submitLogin(browser, page, 'ivanova@example.ru', DEMO_PASSWORD), dnevnikOnA) };
    };

    const first = await login();
    const codes = await Promise.allSettled([redeem(dnevnikOnA, first.callback, first.auth), redeem(dnevnikOnB, first.callback, first.auth)]);
    assert.equal(codes.filter((result) => result.status === 'fulfilled').length, 1, 'one code redemption succeeds');

    // A fresh login: the losing code redemption above may have revoked that grant, as a reused code must.
    const second = await login();
    const tokens = await redeem(dnevnikOnA, second.callback, second.auth);
    const refreshes = await Promise.allSettled([
      client.refreshTokenGrant(dnevnikOnA.config, tokens.refresh_token as string),
      client.refreshTokenGrant(dnevnikOnB.config, tokens.refresh_token as string),
    ]);
    assert.equal(refreshes.filter((result) => result.status === 'fulfilled').length, 1, 'one refresh succeeds');
  });

  test('short-lived records live in Redis, grants in PostgreSQL', async () => {
    // A login of its own: the races above revoke the grants they raced for.
    const dnevnikOnA = await serviceOn('dnevnik', 'A');
    const browser = new TwoNodeBrowser(issuer, ports);
    const auth = await authorizationRequest(dnevnikOnA);
    const page = await browser.follow(auth.url.toString());
    await redeem(dnevnikOnA, callbackUrl(await submitLogin(browser, page, 'ivanova@example.ru', DEMO_PASSWORD), dnevnikOnA), auth);

    const db = nodes.A.runtime.store.db;
    const models = await sql<{ model: string }>`select distinct model from oidc_payloads`.execute(db);
    const inDatabase = models.rows.map((row) => row.model).sort();
    assert.ok(inDatabase.includes('Grant'), `models in PostgreSQL: ${inDatabase.join(', ')}`);
    for (const model of ['Session', 'Interaction', 'AuthorizationCode', 'AccessToken']) {
      assert.ok(!inDatabase.includes(model), `${model} is not in PostgreSQL`);
    }
    assert.ok((await redis.keys(`${prefix}oidc:a:*`)).length > 0, 'access tokens in Redis');
    assert.ok((await redis.keys(`${prefix}oidc:s:*`)).length > 0, 'sessions in Redis');
  });
});
