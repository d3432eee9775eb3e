// Request data in oidc-provider's stored records. A login_hint (a phone, an
// e-mail, a СНИЛС) sent by a service stays sealed in the interaction and
// pushed-request records, in the database and in Redis. The login page still
// shows it, and the login completes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { StorageError } from '../src/errors/index.js';
import { createSealer } from '../src/keys/sealer.js';
import type { Store } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { createOidcAdapter } from '../src/storage/oidc-adapter.js';
import { sealRequestFields } from '../src/storage/sealed-payloads.js';
import { TestBrowser } from './helpers/browser.js';
import { createPostgresSchema, openSqliteTestStore, type TestStore } from './helpers/databases.js';
import { authorizationRequest, callbackUrl, client, DEMO_PASSWORD, demoPerson, redeem, relyingParty, submitLogin } from './helpers/oidc-flow.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';
import { postgresAvailable, redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

const PHONE_HINT = '+79160000001';
const EMAIL_HINT = 'Ivanova@Example.RU';
const teacher = demoPerson((person) => person.id === 'teacher-1');
const SNILS_HINT = teacher.snils as string;

/** List every form in which a hint could show in a stored record: as sent, lower case, digits only, without the country code, the e-mail's local part. */
function hintForms(hint: string): string[] {
  const digits = hint.replace(/\D/g, '');
  const forms = [hint, hint.toLowerCase(), encodeURIComponent(hint)];
  if (digits.length >= 10) {
    forms.push(digits, digits.slice(1));
  }
  if (hint.includes('@')) {
    forms.push(hint.slice(0, hint.indexOf('@')).toLowerCase());
  }
  return forms;
}

/** Read the oidc-provider records of the database, one `model: payload` line each, lower-cased for the search. */
async function storedRecords(store: Store): Promise<string> {
  const rows = await store.db.selectFrom('oidc_payloads').select(['model', 'payload']).execute();
  return rows.map((row) => `${row.model}: ${row.payload}`.toLowerCase()).join('\n');
}

/** Return the value of the login page's identifier field. */
function loginFieldValue(page: string): string | undefined {
  return /<input[^>]*\bname="login"[^>]*\bvalue="([^"]*)"/.exec(page)?.[1];
}

function assertNoHint(records: string, hint: string): void {
  for (const form of hintForms(hint)) {
    assert.ok(!records.includes(form.toLowerCase()), `the stored records hold the hint as «${form}»:\n${records}`);
  }
}

describe('sealed request fields over the SQL adapter', () => {
  let testStore: TestStore;
  const sealer = createSealer(randomBytes(32));

  before(async () => {
    testStore = await openSqliteTestStore();
    await migrateToLatest(testStore.store);
  });
  after(async () => testStore?.cleanup());

  const adapterFor = (model: string) => sealRequestFields(new (createOidcAdapter(testStore.store))(model), model, sealer);

  it('interaction params and prompt round-trip sealed', async () => {
    const interactions = adapterFor('Interaction');
    const payload = {
      jti: 'interaction-1',
      kind: 'Interaction',
      params: { client_id: 'dnevnik', login_hint: PHONE_HINT },
      prompt: { name: 'login', details: { login_hint: PHONE_HINT } },
      returnTo: '/oidc/auth/interaction-1',
    };
    await interactions.upsert('interaction-1', payload, 600);

    const records = await storedRecords(testStore.store);
    assertNoHint(records, PHONE_HINT);
    assert.match(records, /\/oidc\/auth\/interaction-1/, 'the fields that carry no request data stay readable');
    assert.deepEqual(await interactions.find('interaction-1'), payload);
  });

  it('a pushed request is stored sealed', async () => {
    const pushed = adapterFor('PushedAuthorizationRequest');
    const payload = { jti: 'par-1', kind: 'PushedAuthorizationRequest', request: JSON.stringify({ login_hint: EMAIL_HINT }), trusted: true };
    await pushed.upsert('par-1', payload, 60);

    assertNoHint(await storedRecords(testStore.store), EMAIL_HINT);
    assert.deepEqual(await pushed.find('par-1'), payload);
  });

  it('sessions stay readable for the logout queue', async () => {
    const sessions = adapterFor('Session');
    await sessions.upsert('session-1', { jti: 'session-1', uid: 'uid-1', accountId: 'person-1', authorizations: { dnevnik: { sid: 'sid-1' } } }, 600);

    const row = await testStore.store.db.selectFrom('oidc_payloads').select('payload').where('id', '=', 'session-1').executeTakeFirstOrThrow();
    assert.equal(JSON.parse(row.payload).authorizations.dnevnik.sid, 'sid-1');
  });

  it('sealed value copied elsewhere does not open', async () => {
    const interactions = adapterFor('Interaction');
    await interactions.upsert('interaction-2', { jti: 'interaction-2', params: { login_hint: PHONE_HINT } }, 600);
    await interactions.upsert('interaction-3', { jti: 'interaction-3', params: { login_hint: 'other' } }, 600);
    const source = await testStore.store.db.selectFrom('oidc_payloads').select('payload').where('id', '=', 'interaction-2').executeTakeFirstOrThrow();
    await testStore.store.db.updateTable('oidc_payloads').set({ payload: source.payload.replace('interaction-2', 'interaction-3') }).where('id', '=', 'interaction-3').execute();

    await assert.rejects(interactions.find('interaction-3'), StorageError);
  });

  it('a record saved before sealing is read as stored', async () => {
    const plain = new (createOidcAdapter(testStore.store))('Interaction');
    await plain.upsert('interaction-old', { jti: 'interaction-old', params: { login_hint: 'old' } }, 600);

    assert.deepEqual((await adapterFor('Interaction').find('interaction-old'))?.params, { login_hint: 'old' });
  });

  it('another master key cannot open the sealed fields', async () => {
    await adapterFor('Interaction').upsert('interaction-4', { jti: 'interaction-4', params: { login_hint: PHONE_HINT } }, 600);
    const foreign = sealRequestFields(new (createOidcAdapter(testStore.store))('Interaction'), 'Interaction', createSealer(randomBytes(32)));

    await assert.rejects(foreign.find('interaction-4'), StorageError);
  });
});

/** Where a suite's Propusk keeps oidc-provider's records, and how the test reads them as stored. */
interface RecordBackend {
  env: Record<string, string>;
  databaseUrl?: string;
  /** Every stored record as text, lower-cased for the search. */
  records(propusk: RunningPropusk): Promise<string>;
  close(): Promise<void>;
}

const sqlBackend = (databaseUrl?: string, drop: () => Promise<void> = async () => {}): RecordBackend => ({
  env: {},
  ...(databaseUrl === undefined ? {} : { databaseUrl }),
  records: (propusk) => storedRecords(propusk.runtime.store),
  close: drop,
});

/** Redis under a key prefix of its own; grants and refresh tokens stay in the database, so its rows are read too. */
async function redisBackend(): Promise<RecordBackend> {
  const prefix = `test-sealed-${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(redisUrl(), { lazyConnect: true });
  await redis.connect();
  const keys = async () => {
    const found: string[] = [];
    for (let cursor = '0'; ; ) {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
      if (cursor === '0') return found;
    }
  };
  const valueOf = async (key: string): Promise<unknown> => {
    const type = await redis.type(key);
    if (type === 'string') return redis.get(key);
    if (type === 'hash') return redis.hgetall(key);
    if (type === 'zset') return redis.zrange(key, 0, -1);
    return type;
  };
  return {
    env: { REDIS_URL: redisUrl(), PROPUSK_REDIS_PREFIX: prefix },
    async records(propusk) {
      const lines = [];
      for (const key of await keys()) {
        lines.push(`${key}: ${JSON.stringify(await valueOf(key))}`.toLowerCase());
      }
      return `${lines.join('\n')}\n${await storedRecords(propusk.runtime.store)}`;
    },
    async close() {
      const stale = await keys();
      if (stale.length > 0) await redis.del(...stale);
      redis.disconnect();
    },
  };
}

function runLoginHintSuite(name: string, openBackend: () => Promise<RecordBackend>, gate: { skip?: string } = {}): void {
  describe(`login_hint at rest on ${name}`, gate, () => {
    let backend: RecordBackend;
    let propusk: RunningPropusk;

    before(async () => {
      backend = await openBackend();
      propusk = await startPropusk({ env: backend.env, ...(backend.databaseUrl === undefined ? {} : { databaseUrl: backend.databaseUrl }) });
    });
    after(async () => {
      await propusk?.stop();
      await backend?.close();
    });

    for (const hint of [PHONE_HINT, EMAIL_HINT, SNILS_HINT]) {
      it(`hint ${hint.includes('@') ? 'e-mail' : hint.startsWith('+') ? 'phone' : 'СНИЛС'}: page shows it, records do not`, async () => {
        const rp = await relyingParty(propusk.issuer, 'dnevnik');
        const browser = new TestBrowser(propusk.issuer);
        const auth = await authorizationRequest(rp, { login_hint: hint });

        const page = await browser.follow(auth.url.toString());
        assert.equal(page.status, 200);
        assert.equal(loginFieldValue(page.body), hint, 'the login page pre-fills the hint');
        const uid = /action="\/interaction\/([^/"]+)\/login"/.exec(page.body)?.[1];
        assert.ok(uid !== undefined, 'the login page names its interaction');
        const pending = await backend.records(propusk);
        assert.ok(pending.includes(uid.toLowerCase()), 'the pending interaction is stored');
        assertNoHint(pending, hint);

        const tokens = await redeem(rp, callbackUrl(await submitLogin(browser, page, hint, DEMO_PASSWORD), rp), auth);
        assert.equal(tokens.claims()?.email, 'ivanova@example.ru', 'the login completes');
        assertNoHint(await backend.records(propusk), hint);
      });
    }

    it('pushed request hint: sealed, still pre-filled', async () => {
      const rp = await relyingParty(propusk.issuer, 'dnevnik');
      const verifier = client.randomPKCECodeVerifier();
      const url = await client.buildAuthorizationUrlWithPAR(rp.config, {
        redirect_uri: rp.redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        login_hint: PHONE_HINT,
      });
      const requestId = url.searchParams.get('request_uri')?.split(':').at(-1);
      assert.ok(requestId !== undefined, `no request_uri in ${url.toString()}`);
      const records = await backend.records(propusk);
      assert.ok(records.includes(requestId.toLowerCase()), 'the pushed request is stored');
      assertNoHint(records, PHONE_HINT);

      const page = await new TestBrowser(propusk.issuer).follow(url.toString());
      assert.equal(page.status, 200);
      assert.equal(loginFieldValue(page.body), PHONE_HINT);
    });
  });
}

runLoginHintSuite('SQLite', async () => sqlBackend());
runLoginHintSuite(
  'PostgreSQL',
  async () => {
    const schema = await createPostgresSchema();
    return sqlBackend(schema.url, schema.drop);
  },
  await serviceGate(postgresAvailable),
);
runLoginHintSuite('Redis', redisBackend, await serviceGate(redisAvailable));
