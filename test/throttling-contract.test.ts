// One contract for every counter backend: the database (SQLite, PostgreSQL)
// and Redis. Time is a fake clock passed to the throttle, except where the
// expiry of Redis keys needs real time.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import { sql } from 'kysely';
import { purgeExpired } from '../src/storage/housekeeping.js';
import { migrateToLatest } from '../src/storage/migrations/migrate.js';
import type { CounterStore } from '../src/throttling/counter-store.js';
import { createDatabaseCounterStore } from '../src/throttling/database-store.js';
import { delayAfterFailures, THROTTLE_SCOPES, type ThrottlePolicy, type ThrottleScope } from '../src/throttling/policies.js';
import { createRedisCounterStore } from '../src/throttling/redis-store.js';
import { createThrottle, type Reservation, type Throttle, type ThrottleKey } from '../src/throttling/throttle.js';
import { openPostgresTestStore, openSqliteTestStore, type TestStore } from './helpers/databases.js';
import { postgresAvailable, redisAvailable, redisUrl, serviceGate } from './helpers/services.js';

const FREE = 3;
const FIRST_MS = 1000;
const MAX_MS = 8000;

function policies(overrides: Partial<ThrottlePolicy> = {}): Record<ThrottleScope, ThrottlePolicy> {
  const account: ThrottlePolicy = {
    freeFailures: FREE,
    firstDelayMs: FIRST_MS,
    maxDelayMs: MAX_MS,
    windowMs: 600_000,
    slidingWindow: true,
    resetOnSuccess: true,
    countBeforeCheck: true,
    ...overrides,
  };
  const address: ThrottlePolicy = { ...account, freeFailures: 1000, slidingWindow: false, resetOnSuccess: false };
  const entries = THROTTLE_SCOPES.map((scope) => [scope, scope.endsWith('.ip') || scope.endsWith('.network') || scope === 'client.grant' ? address : account]);
  return Object.fromEntries(entries) as Record<ThrottleScope, ThrottlePolicy>;
}

class FakeClock {
  time = 1_900_000_000_000;
  now = () => this.time;
  advance(ms: number) {
    this.time += ms;
  }
}

interface Backend {
  store: CounterStore;
  /** Every stored counter key and value as text, to check that no identifier is stored in the clear. */
  dump(): Promise<string>;
  cleanup(): Promise<void>;
}

const account = (id: string): ThrottleKey => ({ scope: 'login.account', id: `phone:${id}` });
const address = (ip: string): ThrottleKey => ({ scope: 'login.ip', id: ip });

async function fail(throttle: Throttle, keys: ThrottleKey[]): Promise<Reservation> {
  const reservation = await throttle.reserve(keys);
  if (reservation.allowed) {
    await reservation.record('failure');
  }
  return reservation;
}

function runContract(name: string, openBackend: () => Promise<Backend>, gate: { skip?: string } = {}) {
  describe(`throttle on ${name}`, gate, () => {
    let backend: Backend;
    const clock = new FakeClock();
    const throttleWith = (overrides: Partial<ThrottlePolicy> = {}) =>
      createThrottle({ store: backend.store, policies: policies(overrides), secret: randomBytes(32), now: clock.now });

    before(async () => {
      backend = await openBackend();
    });
    after(async () => {
      await backend?.cleanup();
    });

    test('free failures pass, then delays double up to the cap', async () => {
      const throttle = throttleWith();
      const key = [account('+79160000001')];
      for (let i = 1; i <= FREE; i += 1) {
        assert.equal((await fail(throttle, key)).allowed, true, `free failure ${i}`);
      }
      const waits: number[] = [];
      for (let failure = FREE + 1; failure <= FREE + 6; failure += 1) {
        assert.equal((await fail(throttle, key)).allowed, true, `failure ${failure} after its wait`);
        const rejected = await throttle.reserve(key);
        assert.equal(rejected.allowed, false, `attempt right after failure ${failure}`);
        if (!rejected.allowed) waits.push(rejected.retryAfterSeconds);
        clock.advance(delayAfterFailures(failure, policies()['login.account']));
      }
      assert.deepEqual(waits, [1, 2, 4, 8, 8, 8]);
    });

    test('rejected attempts are not counted', async () => {
      const throttle = throttleWith();
      const key = [account('+79160000002')];
      for (let i = 0; i <= FREE; i += 1) await fail(throttle, key);
      for (let i = 0; i < 20; i += 1) assert.equal((await fail(throttle, key)).allowed, false);
      clock.advance(FIRST_MS);
      await fail(throttle, key);
      const next = await throttle.reserve(key);
      assert.equal(next.allowed, false);
      assert.equal(!next.allowed && next.retryAfterSeconds, 2, 'the 20 rejections did not raise the wait');
    });

    test('success resets the account but not the address', async () => {
      const throttle = createThrottle({ store: backend.store, policies: { ...policies(), 'login.ip': { ...policies()['login.ip'], freeFailures: FREE } }, secret: randomBytes(32), now: clock.now });
      const keys = [account('+79160000003'), address('192.0.2.3')];
      for (let i = 0; i < FREE; i += 1) await fail(throttle, keys);
      const correct = await throttle.reserve(keys);
      assert.equal(correct.allowed, true);
      if (correct.allowed) await correct.record('success');

      const other = [account('+79160000004'), address('192.0.2.3')];
      assert.equal((await fail(throttle, other)).allowed, true, 'the address had 3 failures; the 4th passes and sets a delay');
      const rejected = await throttle.reserve(other);
      assert.equal(rejected.allowed, false, 'the address kept its failures after the success');
      assert.deepEqual(!rejected.allowed && rejected.scopes, ['login.ip']);

      clock.advance(MAX_MS);
      for (let i = 0; i < FREE; i += 1) {
        assert.equal((await fail(throttle, [account('+79160000003')])).allowed, true, 'the account starts from zero again');
      }
    });

    test('a released attempt is taken back', async () => {
      const throttle = throttleWith();
      const key = [account('+79160000005')];
      for (let i = 0; i < FREE * 5; i += 1) {
        const reservation = await throttle.reserve(key);
        assert.equal(reservation.allowed, true, `attempt ${i + 1}`);
        if (reservation.allowed) await reservation.release();
      }
    });

    test('a delay on one key leaves the others uncounted', async () => {
      const throttle = throttleWith();
      const blocked = account('+79160000006');
      for (let i = 0; i <= FREE; i += 1) await fail(throttle, [blocked]);
      const fresh = account('+79160000007');
      for (let i = 0; i < 10; i += 1) assert.equal((await fail(throttle, [fresh, blocked])).allowed, false);
      for (let i = 0; i < FREE; i += 1) assert.equal((await fail(throttle, [fresh])).allowed, true, `fresh key failure ${i + 1} is still free`);
    });

    test('200 parallel attempts: only the free ones and one more pass', async () => {
      const throttle = throttleWith();
      const key = [account('+79160000008'), address('192.0.2.8')];
      const results = await Promise.all(Array.from({ length: 200 }, () => fail(throttle, key)));
      assert.equal(results.filter((result) => result.allowed).length, FREE + 1);
    });

    test('counting after the check lets parallel successes through', async () => {
      const throttle = throttleWith({ countBeforeCheck: false });
      const key = [account('+79160000011')];
      const parallel = await Promise.all(Array.from({ length: 20 }, () => throttle.reserve(key)));
      assert.equal(parallel.filter((reservation) => reservation.allowed).length, 20);
      await Promise.all(parallel.map((reservation) => (reservation.allowed ? reservation.record('success') : undefined)));

      for (let i = 1; i <= FREE + 1; i += 1) {
        assert.equal((await fail(throttle, key)).allowed, true, `failure ${i} is counted when reported`);
      }
      const rejected = await throttle.reserve(key);
      assert.equal(rejected.allowed, false);
      assert.equal(!rejected.allowed && rejected.retryAfterSeconds, 1);
    });

    test('read returns each key in order, a missing key as no failures', async () => {
      const secret = randomBytes(32);
      const throttle = createThrottle({ store: backend.store, policies: policies({ countBeforeCheck: false }), secret, now: clock.now });
      const key = [account('+79160000012')];
      for (let i = 1; i <= FREE + 1; i += 1) await fail(throttle, key);
      const storedKey = `login.account:${createHmac('sha256', secret).update('login.account\nphone:+79160000012').digest('base64url')}`;
      const states = await backend.store.read(['login.account:missing', storedKey], clock.now());
      assert.deepEqual(states[0], { failures: 0, blockedUntil: 0 });
      assert.equal(states[1]?.failures, FREE + 1);
      assert.equal(states[1]?.blockedUntil, clock.now() + FIRST_MS);
      assert.deepEqual(await backend.store.read([], clock.now()), []);
    });

    test('success without failures writes nothing', async () => {
      const writes: string[] = [];
      const counting: CounterStore = {
        ...backend.store,
        hit: (...args) => (writes.push('hit'), backend.store.hit(...args)),
        undo: (...args) => (writes.push('undo'), backend.store.undo(...args)),
        reset: (...args) => (writes.push('reset'), backend.store.reset(...args)),
      };
      const throttle = createThrottle({ store: counting, policies: policies({ countBeforeCheck: false }), secret: randomBytes(32), now: clock.now });
      const key = [account('+79160000013'), address('192.0.2.13')];
      const first = await throttle.reserve(key);
      assert.ok(first.allowed);
      await first.record('success');
      assert.deepEqual(writes, [], 'no counter existed, so nothing is written');

      await fail(throttle, key);
      assert.deepEqual(writes, ['hit', 'hit'], 'a failure counts on both keys');
      const second = await throttle.reserve(key);
      assert.ok(second.allowed);
      await second.record('success');
      assert.deepEqual(writes, ['hit', 'hit', 'reset'], 'the account key, which had a failure, is reset; the address keeps its count');
    });

    test('failures after the check all count', async () => {
      const secret = randomBytes(32);
      const throttle = createThrottle({ store: backend.store, policies: policies({ countBeforeCheck: false }), secret, now: clock.now });
      const key = [account('+79160000017')];
      const burst = 10;
      const parallel = await Promise.all(Array.from({ length: burst }, () => throttle.reserve(key)));
      assert.equal(parallel.filter((reservation) => reservation.allowed).length, burst, 'no delay ran when they were read');
      // Reported one after another, so most arrive while the delay of an earlier one runs.
      for (const reservation of parallel) {
        if (reservation.allowed) await reservation.record('failure');
      }
      const storedKey = `login.account:${createHmac('sha256', secret).update('login.account\nphone:+79160000017').digest('base64url')}`;
      const [state] = await backend.store.read([storedKey], clock.now());
      assert.equal(state?.failures, burst);
      assert.equal(state?.blockedUntil, clock.now() + Math.min(MAX_MS, FIRST_MS * 2 ** (burst - FREE - 1)));
    });

    test('groups: one delay rejects all', async () => {
      const throttle = throttleWith({ countBeforeCheck: false });
      const delayed = [account('+79160000014')];
      for (let i = 1; i <= FREE + 1; i += 1) await fail(throttle, delayed);
      const other = [account('+79160000015')];
      const rejected = await throttle.reserveGroups([other, delayed]);
      assert.equal(rejected.allowed, false);
      assert.deepEqual(!rejected.allowed && rejected.scopes, ['login.account']);

      const both = await throttle.reserveGroups([other, [account('+79160000016')]]);
      assert.ok(both.allowed);
      const [first, second] = both.attempts;
      await first?.record('failure');
      await second?.record('success');
      for (let i = 2; i <= FREE + 1; i += 1) await fail(throttle, other);
      assert.equal((await throttle.reserve(other)).allowed, false, 'the first group\'s failure counted on its own');
      assert.equal((await throttle.reserve([account('+79160000016')])).allowed, true, 'the second group\'s success counted nothing');
    });

    test('two throttles on one store share counters', async () => {
      const secret = randomBytes(32);
      const first = createThrottle({ store: backend.store, policies: policies(), secret, now: clock.now });
      const second = createThrottle({ store: backend.store, policies: policies(), secret, now: clock.now });
      const key = [account('+79160000009')];
      for (let i = 0; i <= FREE; i += 1) await fail(i % 2 === 0 ? first : second, key);
      assert.equal((await second.reserve(key)).allowed, false);
    });

    test('counters expire after their window', async () => {
      const throttle = createThrottle({ store: backend.store, policies: policies({ windowMs: 300 }), secret: randomBytes(32) });
      const key = [account('+79160000010')];
      for (let i = 0; i <= FREE; i += 1) await fail(throttle, key);
      assert.equal((await throttle.reserve(key)).allowed, false);
      await sleep(400);
      assert.equal((await fail(throttle, key)).allowed, true, 'the delay ended with the window');
      for (let i = 1; i < FREE; i += 1) assert.equal((await fail(throttle, key)).allowed, true, 'the count started again');
    });

    test('counter keys do not contain the identifier', async () => {
      const throttle = throttleWith();
      await fail(throttle, [{ scope: 'login.account', id: 'snils:14528796397' }]);
      const stored = await backend.dump();
      assert.ok(stored.includes('login.account:'), 'the dump contains counters');
      assert.ok(!stored.includes('14528796397'));
    });
  });
}

async function databaseBackend(open: () => Promise<TestStore>): Promise<Backend> {
  const test = await open();
  await migrateToLatest(test.store);
  return {
    store: createDatabaseCounterStore(test.store.db),
    dump: async () => JSON.stringify((await sql`select * from throttle_counters`.execute(test.store.db)).rows),
    cleanup: () => test.cleanup(),
  };
}

runContract('SQLite', () => databaseBackend(openSqliteTestStore));
runContract('PostgreSQL', () => databaseBackend(openPostgresTestStore), await serviceGate(postgresAvailable));
runContract(
  'Redis',
  async () => {
    const store = await createRedisCounterStore(redisUrl(), pino({ level: 'silent' }), 'propusk:');
    const { Redis } = await import('ioredis');
    const reader = new Redis(redisUrl());
    return {
      store,
      dump: async () => (await reader.keys('propusk:throttle:*')).join('\n'),
      cleanup: async () => {
        reader.disconnect();
        await store.close();
      },
    };
  },
  await serviceGate(redisAvailable),
);

test('housekeeping deletes expired counters', async () => {
  const database = await openSqliteTestStore();
  try {
    await migrateToLatest(database.store);
    const clock = new FakeClock();
    const throttle = createThrottle({ store: createDatabaseCounterStore(database.store.db), policies: policies({ windowMs: 1000 }), secret: randomBytes(32), now: clock.now });
    await fail(throttle, [account('+79160000012')]);
    await fail(throttle, [account('+79160000013')]);

    assert.equal((await purgeExpired(database.store, clock.time)).throttleCounters, 0, 'nothing has expired yet');
    assert.equal((await purgeExpired(database.store, clock.time + 1000)).throttleCounters, 2);
    const left = await sql<{ count: number }>`select count(*) as count from throttle_counters`.execute(database.store.db);
    assert.equal(Number(left.rows[0]?.count), 0);
  } finally {
    await database.cleanup();
  }
});

describe('SQLite counter writes', () => {
  test('the counters of one attempt share one commit', async () => {
    // Count the COMMITs that the group commit driver runs, from the first statement the store prepares.
    const commits: string[] = [];
    const prepare = BetterSqlite3.prototype.prepare;
    BetterSqlite3.prototype.prepare = function (this: BetterSqlite3.Database, text: string) {
      const statement = prepare.call(this, text);
      if (text === 'commit') {
        const run = statement.run.bind(statement);
        statement.run = ((...args: unknown[]) => {
          commits.push(text);
          return (run as (...values: unknown[]) => BetterSqlite3.RunResult)(...args);
        }) as typeof statement.run;
      }
      return statement;
    } as typeof prepare;
    const backend = await databaseBackend(openSqliteTestStore);
    try {
      const clock = new FakeClock();
      const throttle = createThrottle({ store: backend.store, policies: policies(), secret: randomBytes(32), now: clock.now });
      const keys = [account('+79160000031'), address('192.0.2.31'), { scope: 'login.network' as const, id: '192.0.2.0/24' }];
      commits.length = 0;
      const reservation = await throttle.reserve(keys);
      assert.ok(reservation.allowed);
      assert.equal(commits.length, 1, 'three counted keys, one commit');
      assert.equal((await backend.dump()).split('login.').length - 1, 3, 'all three counters are stored');

      commits.length = 0;
      await reservation.record('success');
      assert.equal(commits.length, 1, 'the success settles all three keys in one commit');
    } finally {
      BetterSqlite3.prototype.prepare = prepare;
      await backend.cleanup();
    }
  });
});

