// Audit events that oidc-provider's endpoints produce: a service's failed
// client authentication at the token, introspection, revocation and pushed
// authorization endpoints, and an authorization that ends in access_denied
// because the service accepts none of the person's roles.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEventsTable } from '../src/storage/schema.js';
import { IssuerBrowser, localOrigin, unavailablePage } from './helpers/hardening-flows.js';
import { DEMO_DATA, startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { serviceSecret } from './helpers/oidc-flow.js';

const WRONG_SECRET = 'Wrong-Client-Secret-0123456789-abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ENDPOINTS = [
  { endpoint: 'token', path: '/oidc/token', body: { grant_type: 'authorization_code', code: 'junk-code', redirect_uri: 'http://localhost:3001/dnevnik/callback' } },
  { endpoint: 'introspection', path: '/oidc/token/introspection', body: { token: 'junk-token' } },
  { endpoint: 'revocation', path: '/oidc/token/revocation', body: { token: 'junk-token' } },
  { endpoint: 'pushed_authorization_request', path: '/oidc/request', body: { response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:3001/dnevnik/callback' } },
] as const;

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

describe('audit events of the provider endpoints', () => {
  let propusk: RunningPropusk;

  /** Records appended after `seq`, oldest first, waiting briefly for `count`: provider events are written after the response. */
  const recordsAfter = async (seq: number, count: number): Promise<AuditEventsTable[]> => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const rows = await propusk.runtime.store.db.selectFrom('audit_events').selectAll().where('seq', '>', seq).orderBy('seq').execute();
      if (rows.length >= count || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const lastSeq = async (): Promise<number> =>
    (await propusk.runtime.store.db.selectFrom('audit_chain').select('last_seq').executeTakeFirstOrThrow()).last_seq;

  let lastRequestId: string | null = null;
  const post = async (path: string, authorization: string, body: Record<string, string>) => {
    const response = await fetch(`${propusk.issuer}${path}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'audit-test-agent' },
      body: new URLSearchParams(body).toString(),
    });
    await response.text();
    lastRequestId = response.headers.get('x-request-id');
    return response.status;
  };

  before(async () => {
    // Free failures high enough that no client request of this file is delayed.
    propusk = await startPropusk({ env: { PROPUSK_THROTTLE_CLIENT_FREE_FAILURES: '100' } });
  });
  after(async () => propusk?.stop());

  for (const { endpoint, path, body } of ENDPOINTS) {
    test(`wrong secret at ${endpoint} is recorded without it`, async () => {
      const before = await lastSeq();
      assert.equal(await post(path, basic('dnevnik', WRONG_SECRET), body), 401);

      const rows = await recordsAfter(before, 1);
      assert.equal(rows.length, 1, JSON.stringify(rows));
      const [row] = rows as [AuditEventsTable];
      assert.equal(row.type, 'client.authentication_failed');
      assert.equal(row.client_id, 'dnevnik');
      assert.equal(row.person_id, null);
      assert.deepEqual(JSON.parse(row.details), { endpoint, reason: 'invalid_secret' });
      assert.equal(row.ip, '127.0.0.1');
      assert.equal(row.user_agent, 'audit-test-agent');
      assert.match(row.request_id ?? '', UUID);
      assert.equal(row.request_id, lastRequestId, 'the audit record carries the response X-Request-ID');
      assert.doesNotMatch(JSON.stringify(row), /Wrong-Client-Secret/);
    });
  }

  test('unknown client id is recorded without the id', async () => {
    const before = await lastSeq();
    assert.equal(await post('/oidc/token/introspection', basic('no-such-service', WRONG_SECRET), { token: 'junk-token' }), 401);

    const [row] = await recordsAfter(before, 1);
    assert.equal(row?.type, 'client.authentication_failed');
    assert.equal(row?.client_id, null);
    assert.deepEqual(JSON.parse(row?.details ?? '{}'), { endpoint: 'introspection', reason: 'unknown_client' });
    assert.doesNotMatch(JSON.stringify(row), /no-such-service|Wrong-Client-Secret/);
  });

  test('right secret is not recorded as a failure', async () => {
    const before = await lastSeq();
    assert.equal(await post('/oidc/token/introspection', basic('dnevnik', serviceSecret('dnevnik').secret), { token: 'junk-token' }), 200);
    // A failure afterwards marks the point by which the right request's events are written.
    assert.equal(await post('/oidc/token/introspection', basic('dnevnik', WRONG_SECRET), { token: 'junk-token' }), 401);

    const rows = await recordsAfter(before, 1);
    assert.deepEqual(
      rows.map((row) => [row.type, JSON.parse(row.details).reason]),
      [['client.authentication_failed', 'invalid_secret']],
    );
  });

  test('no audit record holds a secret', async () => {
    const rows = await propusk.runtime.store.db.selectFrom('audit_events').selectAll().execute();
    const text = JSON.stringify(rows);
    assert.match(text, /client\.authentication_failed/, 'the records of this file are there');
    assert.doesNotMatch(text, /Wrong-Client-Secret/);
    for (const service of DEMO_DATA.services) {
      assert.ok(!text.includes(service.client_secret), `the secret of ${service.client_id} is recorded`);
    }
  });

  test('access_denied for a service without an accepted role is recorded', async () => {
    const origin = localOrigin(propusk);
    const b = new IssuerBrowser(propusk.issuer, origin);
    const page = await unavailablePage(b, origin);
    const before = await lastSeq();
    const back = await b.submit(page, {});
    assert.equal(back.status, 303);
    assert.match(back.location ?? '', /[?&]error=access_denied(&|$)/);

    const rows = await recordsAfter(before, 1);
    const denied = rows.find((row) => row.type === 'authorization.denied');
    assert.ok(denied !== undefined, `no authorization.denied among ${JSON.stringify(rows.map((row) => row.type))}`);
    const student = DEMO_DATA.people.find((person) => person.email === 'anna.smirnova@example.ru');
    assert.ok(student !== undefined, 'demo data has the student');
    const person = await propusk.runtime.store.db.selectFrom('people').select('id').where('external_id', '=', student.id).executeTakeFirstOrThrow();
    assert.equal(denied.person_id, person.id);
    assert.equal(denied.client_id, 'zhurnal');
    assert.equal(denied.ip, '127.0.0.1');
    assert.deepEqual(JSON.parse(denied.details), { error: 'access_denied', description: 'the service accepts none of the roles of this person' });
  });
});
