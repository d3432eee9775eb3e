// The Redis adapter of oidc-provider's short-lived records, against the
// shared Redis under a key prefix of its own, and its routing next to the
// SQL adapter.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis, ReplyError } from 'ioredis';
import pino from 'pino';
import { StorageError, TemporarilyUnavailableError } from '../src/errors/index.js';
import { redisFailure, reportRedisFailures } from '../src/redis/errors.js';
import { AlreadyConsumedError } from '../src/storage/errors.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { openOidcStorage, type OidcStorage } from '../src/storage/redis/oidc-storage.js';
import { keyLayout } from '../src/storage/redis/keys.js';
import { createRedisOidcAdapter } from '../src/storage/redis/oidc-adapter.js';
import { SESSION_SWEEP_GRACE_MS } from '../src/storage/redis/record-writes.js';
import { defineOidcScripts } from '../src/storage/redis/scripts.js';
import { openSqliteTestStore, type TestStore } from './helpers/databases.js';
import { redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

const HOUR_S = 3600;

describe('Redis oidc adapter', await serviceGate(redisAvailable), () => {
  const prefix = `propusk-test-${randomBytes(4).toString('hex')}:`;
  const keyPrefix = `${prefix}oidc:`;
  let now = 1_700_000_000_000;
  const clock = () => now;
  let database: TestStore;
  let storage: OidcStorage;
  let secondNode: OidcStorage;
  let raw: Redis;

  before(async () => {
    database = await openSqliteTestStore();
    await migrateToLatest(database.store);
    const parts = { store: database.store, redisUrl: redisUrl(), redisPrefix: prefix, logger: pino({ level: 'silent' }), clock };
    storage = await openOidcStorage(parts);
    secondNode = await openOidcStorage(parts);
    raw = new Redis(redisUrl());
  });

  after(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) {
      await raw.del(...keys);
    }
    raw.disconnect();
    await storage?.close();
    await secondNode?.close();
    await database?.cleanup();
  });

  async function sqlRow(model: string, id: string) {
    return database.store.db.selectFrom('oidc_payloads').select('id').where('model', '=', model).where('id', '=', id).executeTakeFirst();
  }

  test('store a record with its TTL and no copy of its id', async () => {
    const tokens = storage.adapterFor('AccessToken');
    await tokens.upsert('at-1', { jti: 'at-1', kind: 'AccessToken', grantId: 'g-1', accountId: 'person', exp: 1 }, 600);

    assert.deepEqual(await tokens.find('at-1'), { jti: 'at-1', kind: 'AccessToken', grantId: 'g-1', accountId: 'person', exp: 1 });
    const stored = await raw.get(`${keyPrefix}a:at-1`);
    assert.equal(stored, '{"grantId":"g-1","accountId":"person","exp":1}');
    const ttl = await raw.pttl(`${keyPrefix}a:at-1`);
    assert.ok(ttl > 590_000, `TTL ${ttl} ms`);
    assert.ok(ttl <= 600_000, `TTL ${ttl} ms`);
    assert.equal(await sqlRow('AccessToken', 'at-1'), undefined, 'nothing in the database');
    assert.equal(await storage.adapterFor('Interaction').find('at-1'), undefined, 'other models do not see it');
    await assert.doesNotReject(tokens.upsert('at-expired', { jti: 'at-expired', kind: 'AccessToken' }, 0), 'a record saved as expired');
  });

  test('keep grants and refresh tokens in the database', async () => {
    await storage.adapterFor('Grant').upsert('grant-1', { jti: 'grant-1', kind: 'Grant', accountId: 'person' }, HOUR_S);
    await storage.adapterFor('RefreshToken').upsert('rt-1', { jti: 'rt-1', kind: 'RefreshToken', grantId: 'grant-1' }, HOUR_S);

    assert.notEqual(await sqlRow('Grant', 'grant-1'), undefined);
    assert.notEqual(await sqlRow('RefreshToken', 'rt-1'), undefined);
    assert.deepEqual(await raw.keys(`${keyPrefix}g:*`), []);
    assert.equal((await storage.adapterFor('Grant').find('grant-1'))?.accountId, 'person');
  });

  test('find a session by uid after its id changes', async () => {
    const sessions = storage.adapterFor('Session');
    const session = { kind: 'Session', uid: 'uid-1', accountId: 'person', exp: Math.floor(now / 1000) + HOUR_S };
    await sessions.upsert('s-old', { ...session, jti: 's-old' }, HOUR_S);
    assert.equal((await sessions.findByUid('uid-1'))?.jti, 's-old');

    // oidc-provider's resetIdentifier: destroy the old id, save under a new one.
    await sessions.destroy('s-old');
    await sessions.upsert('s-new', { ...session, jti: 's-new' }, HOUR_S);
    assert.equal(await sessions.find('s-old'), undefined);
    assert.equal((await secondNode.adapterFor('Session').findByUid('uid-1'))?.jti, 's-new');
    assert.equal(await storage.adapterFor('AccessToken').findByUid('uid-1'), undefined);

    await sessions.destroy('s-new');
    assert.equal(await sessions.findByUid('uid-1'), undefined);
    assert.equal(await raw.exists(`${keyPrefix}uid:uid-1`), 0, 'uid index deleted');
    assert.equal(await raw.zscore(`${keyPrefix}exp`, 's-new'), null, 'expiry entry deleted');
  });

  test('token lookup reads its session along', async () => {
    // An adapter on a connection of its own, which counts the separate session lookups, in a request that the test names.
    const connection = defineOidcScripts(new Redis(redisUrl()));
    let separateLookups = 0;
    const findSessionByUid = connection.oidcFindSessionByUid.bind(connection);
    connection.oidcFindSessionByUid = (...args) => {
      separateLookups += 1;
      return findSessionByUid(...args);
    };
    let request: object | undefined = {};
    const Adapter = createRedisOidcAdapter({ redis: connection, keys: keyLayout(keyPrefix), clock, currentRequest: () => request });
    const sessions = new Adapter('Session');
    try {
      const session = { jti: 's-along', kind: 'Session', uid: 'uid-along', accountId: 'person', exp: Math.floor(now / 1000) + HOUR_S };
      await sessions.upsert('s-along', session, HOUR_S);
      const tokens = new Adapter('AccessToken');
      await tokens.upsert('at-along', { jti: 'at-along', kind: 'AccessToken', sessionUid: 'uid-along', accountId: 'person' }, 600);

      assert.equal((await tokens.find('at-along'))?.sessionUid, 'uid-along');
      assert.equal((await sessions.findByUid('uid-along'))?.jti, 's-along');
      assert.equal(separateLookups, 0, 'the session came with the token');

      assert.equal((await sessions.findByUid('uid-along'))?.jti, 's-along');
      assert.equal(separateLookups, 1, 'taken once');

      // Another request never gets the copy that this one read: after a logout it finds no session.
      await tokens.find('at-along');
      await sessions.destroy('s-along');
      request = {};
      assert.equal(await sessions.findByUid('uid-along'), undefined);
      assert.equal(separateLookups, 2);

      // Outside a provider request nothing is kept.
      request = undefined;
      await sessions.upsert('s-along', session, HOUR_S);
      await tokens.find('at-along');
      assert.equal((await sessions.findByUid('uid-along'))?.jti, 's-along');
      assert.equal(separateLookups, 3);
    } finally {
      connection.disconnect();
    }
  });

  test('code lookup keeps consumption and session', async () => {
    const session = { jti: 's-code', kind: 'Session', uid: 'uid-code', accountId: 'person', exp: Math.floor(now / 1000) + HOUR_S };
    await storage.adapterFor('Session').upsert('s-code', session, HOUR_S);
    const codes = storage.adapterFor('AuthorizationCode');
    await codes.upsert('code-along', { jti: 'code-along', kind: 'AuthorizationCode', sessionUid: 'uid-code', grantId: 'g-code' }, 60);
    await codes.consume('code-along');

    const found = await codes.find('code-along');
    assert.equal(typeof found?.consumed, 'number');
    assert.equal(found?.grantId, 'g-code');
    assert.equal((await storage.adapterFor('Session').findByUid('uid-code'))?.jti, 's-code');
  });

  test('token without session reads none', async () => {
    const tokens = storage.adapterFor('AccessToken');
    await tokens.upsert('at-alone', { jti: 'at-alone', kind: 'AccessToken', accountId: 'person' }, 600);
    await tokens.upsert('at-orphan', { jti: 'at-orphan', kind: 'AccessToken', sessionUid: 'uid-missing' }, 600);

    assert.equal((await tokens.find('at-alone'))?.accountId, 'person');
    assert.equal((await tokens.find('at-orphan'))?.sessionUid, 'uid-missing');
    assert.equal(await storage.adapterFor('Session').findByUid('uid-missing'), undefined);
    assert.equal(await tokens.find('at-none'), undefined);
  });

  test('sweep an expired session exactly once', async () => {
    const sessions = storage.adapterFor('Session');
    const exp = Math.floor(now / 1000) + 60;
    await sessions.upsert('s-exp', { jti: 's-exp', kind: 'Session', uid: 'uid-exp', accountId: 'person', exp }, 60);
    const ttl = await raw.pttl(`${keyPrefix}s:s-exp`);
    assert.ok(ttl > SESSION_SWEEP_GRACE_MS, `the record outlives its expiry for the sweep (TTL ${ttl} ms)`);
    assert.deepEqual(await storage.takeExpiredSessions?.(now, 100), [], 'not expired yet');

    now += 60_000;
    assert.equal(await sessions.find('s-exp'), undefined, 'readers no longer see it');
    assert.equal(await sessions.findByUid('uid-exp'), undefined);
    const [first, second] = await Promise.all([storage.takeExpiredSessions?.(now, 100), secondNode.takeExpiredSessions?.(now, 100)]);
    const expiredSessions = [...(first ?? []), ...(second ?? [])];
    assert.equal(expiredSessions.length, 1, 'one of two sweeping nodes gets it');
    assert.equal(expiredSessions[0]?.id, 's-exp');
    assert.equal(expiredSessions[0]?.payload.accountId, 'person');
    assert.equal(await raw.exists(`${keyPrefix}s:s-exp`, `${keyPrefix}uid:uid-exp`), 0, 'record and index deleted');
  });

  test('consume once across nodes and stay consumed', async () => {
    const codes = storage.adapterFor('AuthorizationCode');
    await codes.upsert('code-1', { jti: 'code-1', kind: 'AuthorizationCode', grantId: 'g-2', clientId: 'dnevnik' }, 60);
    assert.equal((await codes.find('code-1'))?.consumed, undefined);

    const results = await Promise.allSettled([codes.consume('code-1'), secondNode.adapterFor('AuthorizationCode').consume('code-1')]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1, 'exactly one redemption wins');
    const loser = results.find((result) => result.status === 'rejected');
    assert.equal(loser?.status, 'rejected');
    assert.ok(loser.reason instanceof AlreadyConsumedError, 'the other gets AlreadyConsumedError');

    assert.equal((await codes.find('code-1'))?.consumed, Math.floor(now / 1000));
    await codes.upsert('code-1', { jti: 'code-1', kind: 'AuthorizationCode', grantId: 'g-2', clientId: 'dnevnik' }, 60);
    assert.equal((await codes.find('code-1'))?.consumed, Math.floor(now / 1000), 'a stale save keeps it consumed');
    await assert.rejects(codes.consume('code-1'), AlreadyConsumedError);
    await assert.rejects(codes.consume('missing'), AlreadyConsumedError);
    await assert.rejects(storage.adapterFor('Session').consume('s-1'), StorageError);
  });

  test('revoke a grant in Redis and the database', async () => {
    await storage.adapterFor('AccessToken').upsert('at-r', { jti: 'at-r', kind: 'AccessToken', grantId: 'g-revoke' }, 600);
    await storage.adapterFor('AuthorizationCode').upsert('code-r', { jti: 'code-r', kind: 'AuthorizationCode', grantId: 'g-revoke' }, 60);
    await storage.adapterFor('RefreshToken').upsert('rt-r', { jti: 'rt-r', kind: 'RefreshToken', grantId: 'g-revoke' }, HOUR_S);
    await storage.adapterFor('AccessToken').upsert('at-keep', { jti: 'at-keep', kind: 'AccessToken', grantId: 'g-keep' }, 600);
    await storage.adapterFor('Interaction').upsert('i-r', { jti: 'i-r', kind: 'Interaction', grantId: 'g-revoke' }, 600);

    await secondNode.adapterFor('AccessToken').revokeByGrantId('g-revoke');
    assert.equal(await storage.adapterFor('AccessToken').find('at-r'), undefined);
    assert.equal(await storage.adapterFor('AuthorizationCode').find('code-r'), undefined);
    assert.equal(await storage.adapterFor('RefreshToken').find('rt-r'), undefined, 'the refresh token in the database too');
    assert.notEqual(await storage.adapterFor('AccessToken').find('at-keep'), undefined);
    assert.notEqual(await storage.adapterFor('Interaction').find('i-r'), undefined, 'interactions are not grant-bound');
    assert.equal(await raw.exists(`${keyPrefix}gi:g-revoke`), 0);
  });

  test('prune expired members of a grant index', async () => {
    const tokens = storage.adapterFor('AccessToken');
    await tokens.upsert('at-p1', { jti: 'at-p1', kind: 'AccessToken', grantId: 'g-prune' }, 600);
    now += 601_000;
    await tokens.upsert('at-p2', { jti: 'at-p2', kind: 'AccessToken', grantId: 'g-prune' }, 600);
    assert.deepEqual(await raw.zrange(`${keyPrefix}gi:g-prune`, 0, -1), ['a:at-p2']);
    const ttl = await raw.pttl(`${keyPrefix}gi:g-prune`);
    assert.ok(ttl > 590_000, `index TTL ${ttl} ms`);
    assert.ok(ttl <= 600_000, `index TTL ${ttl} ms`);
  });

  test('find a device code by user code', async () => {
    const deviceCodes = storage.adapterFor('DeviceCode');
    await deviceCodes.upsert('dc-1', { jti: 'dc-1', kind: 'DeviceCode', userCode: 'ABCD-EFGH', grantId: 'g-device' }, 600);
    assert.equal((await deviceCodes.findByUserCode('ABCD-EFGH'))?.jti, 'dc-1');
    assert.equal(await deviceCodes.findByUserCode('ZZZZ-ZZZZ'), undefined);
  });
});

describe('Redis failures', () => {
  test('a lost connection is temporary', () => {
    const error = redisFailure(new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'Session.find');
    assert.ok(error instanceof TemporarilyUnavailableError);
    assert.equal(error.status, 503);
    assert.ok(error.retryAfterSeconds > 0);
  });

  test('a transient reply is temporary', () => {
    const error = redisFailure(new ReplyError('LOADING Redis is loading the dataset in memory'), 'Session.find');
    assert.ok(error instanceof TemporarilyUnavailableError);
  });

  test('failures are logged with held-back repeats', () => {
    const lines: Array<{ suppressedRepeats: number }> = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line) as { suppressedRepeats: number }) });
    let now = 0;
    const report = reportRedisFailures(logger, 'oidc', () => now);
    const failure = redisFailure(new Error('Command timed out'), 'Session.find');
    report(failure);
    report(failure);
    report(failure);
    assert.equal(lines.length, 1, 'one line per interval');
    now += 10_000;
    report(failure);
    assert.equal(lines.length, 2);
    assert.equal(lines[1]?.suppressedRepeats, 2);
  });

  test('another reply is a storage error', () => {
    const error = redisFailure(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'), 'Session.find');
    assert.ok(error instanceof StorageError);
    assert.equal(error.status, 500);
  });
});
