// Sessions kept in Redis end with a sessions-ended event when they expire,
// so that their services get a back-channel logout as with the database.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createSessionEvents, type SessionsEndedEvent } from '../src/sessions/events.js';
import { startExpiredSessionSweep, type ExpiredSessionSweep } from '../src/sessions/redis-expiry.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import { openOidcStorage, type OidcStorage } from '../src/storage/redis/oidc-storage.js';
import { openSqliteTestStore, type TestStore } from './helpers/databases.js';
import { redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

describe('expired sessions in Redis', await serviceGate(redisAvailable), () => {
  const prefix = `propusk-test-${randomBytes(4).toString('hex')}:`;
  let now = 1_700_000_000_000;
  const clock = () => now;
  const logger = pino({ level: 'silent' });
  let database: TestStore;
  let storage: OidcStorage;
  let sweep: ExpiredSessionSweep;
  const ended: SessionsEndedEvent[] = [];

  before(async () => {
    database = await openSqliteTestStore();
    await migrateToLatest(database.store);
    storage = await openOidcStorage({ store: database.store, redisUrl: redisUrl(), redisPrefix: prefix, logger, clock });
    const events = createSessionEvents(logger);
    events.onSessionsEnded((event) => {
      ended.push(event);
    });
    const take = storage.takeExpiredSessions;
    assert.ok(take !== undefined, 'Redis storage sweeps its sessions');
    sweep = startExpiredSessionSweep({ take, events, logger, clock, intervalMs: 3_600_000 });
  });

  after(async () => {
    sweep?.stop();
    const raw = new Redis(redisUrl());
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) {
      await raw.del(...keys);
    }
    raw.disconnect();
    await storage?.close();
    await database?.cleanup();
  });

  test('report each expired signed-in session once', async () => {
    const sessions = storage.adapterFor('Session');
    const exp = Math.floor(now / 1000) + 60;
    await sessions.upsert('s-signed-in', {
      jti: 's-signed-in',
      kind: 'Session',
      uid: 'uid-signed-in',
      accountId: 'person-1',
      loginTs: Math.floor(now / 1000),
      exp,
      authorizations: { dnevnik: { sid: 'sid-1', grantId: 'grant-1' } },
    }, 60);
    await sessions.upsert('s-anonymous', { jti: 's-anonymous', kind: 'Session', uid: 'uid-anonymous', exp }, 60);
    await sessions.upsert('s-later', { jti: 's-later', kind: 'Session', uid: 'uid-later', accountId: 'person-2', exp: exp + 3600 }, 3660);

    assert.equal(await sweep.runOnce(), 0, 'nothing expired yet');
    now += 60_000;
    assert.equal(await sweep.runOnce(), 1, 'the signed-in session ends; the anonymous one goes silently');
    assert.equal(await sweep.runOnce(), 0, 'each session is reported once');

    assert.equal(ended.length, 1);
    const event = ended[0];
    assert.equal(event?.personId, 'person-1');
    assert.equal(event?.reason, 'expired');
    assert.deepEqual(event?.sessions, [{ sessionUid: 'uid-signed-in', clients: [{ clientId: 'dnevnik', sid: 'sid-1', grantId: 'grant-1' }] }]);
    assert.equal((await sessions.findByUid('uid-later'))?.accountId, 'person-2', 'a live session stays');
  });
});
