// The small pure parts of the throttling: wait texts, address networks,
// the Basic header's client id, the delay schedule, the settings' checks and
// the memo of counter keys.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { translator } from '../src/i18n/translate.js';
import pino from 'pino';
import { basicClientId, createClientAuthThrottle, type EndpointContext } from '../src/throttling/client-auth-throttle.js';
import { createKeyCache, MAX_CACHED_NAME_LENGTH } from '../src/throttling/key-cache.js';
import { canonicalIp, networkOf } from '../src/throttling/network.js';
import { delayAfterFailures, policiesFromConfig } from '../src/throttling/policies.js';
import { retryAfterText, waitText } from '../src/throttling/wait-text.js';

describe('wait text', () => {
  const ru = (seconds: number) => waitText(translator('ru'), 'ru', seconds);
  const en = (seconds: number) => waitText(translator('en'), 'en', seconds);

  test('Russian plural forms of seconds', () => {
    assert.equal(ru(1), '1 секунду');
    assert.equal(ru(3), '3 секунды');
    assert.equal(ru(5), '5 секунд');
    assert.equal(ru(11), '11 секунд');
    assert.equal(ru(21), '21 секунду');
    assert.equal(ru(42), '42 секунды');
  });

  test('Russian plural forms of minutes, rounded up', () => {
    assert.equal(ru(60), '1 минуту');
    assert.equal(ru(61), '2 минуты');
    assert.equal(ru(300), '5 минут');
    assert.equal(ru(12 * 60), '12 минут');
    assert.equal(ru(15 * 60), '15 минут');
    assert.equal(ru(21 * 60), '21 минуту');
    assert.equal(ru(22 * 60), '22 минуты');
  });

  test('English singular and plural', () => {
    assert.equal(en(1), '1 second');
    assert.equal(en(2), '2 seconds');
    assert.equal(en(60), '1 minute');
    assert.equal(en(900), '15 minutes');
  });

  test('full sentence in both languages', () => {
    assert.equal(retryAfterText(translator('ru'), 'ru', 120), 'После нескольких неудачных попыток вход ненадолго приостановлен. Попробуйте снова через 2 минуты.');
    assert.equal(retryAfterText(translator('en'), 'en', 30), 'After several failed attempts, sign-in is paused for a while. Try again in 30 seconds.');
  });
});

describe('address networks', () => {
  test('IPv4 and IPv4-mapped IPv6 share one spelling', () => {
    assert.equal(canonicalIp('192.0.2.7'), '192.0.2.7');
    assert.equal(canonicalIp('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(canonicalIp('::FFFF:c000:0207'), '192.0.2.7');
  });

  test('IPv6 spellings of one address are equal', () => {
    const full = '2001:0db8:0000:0000:0000:0000:0000:0001';
    assert.equal(canonicalIp('2001:db8::1'), full);
    assert.equal(canonicalIp('2001:DB8:0:0::1'), full);
    assert.equal(canonicalIp('2001:db8::1%eth0'), full);
  });

  test('networks are /24 and /64', () => {
    assert.equal(networkOf('198.51.100.200'), '198.51.100.0/24');
    assert.equal(networkOf('::ffff:198.51.100.1'), '198.51.100.0/24');
    assert.equal(networkOf('2001:db8:1:2:aaaa::1'), '2001:0db8:0001:0002::/64');
    assert.equal(networkOf('2001:db8:1:2:bbbb::9'), networkOf('2001:db8:1:2::1'));
    assert.notEqual(networkOf('2001:db8:1:3::1'), networkOf('2001:db8:1:2::1'));
  });

  test('an unreadable address gets one shared key', () => {
    assert.equal(canonicalIp('unknown'), 'unreadable');
    assert.equal(networkOf('unknown'), 'unreadable');
  });
});

describe('Basic client id', () => {
  const header = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  test('reads the encoded client id', () => {
    assert.equal(basicClientId(header('dnevnik', 's3cret:with:colons')), 'dnevnik');
    assert.equal(basicClientId(header('служба поддержки', 'x')), 'служба поддержки');
    assert.equal(basicClientId(`basic ${Buffer.from('a+b:x').toString('base64')}`), 'a b');
  });

  test('ignores other schemes and malformed values', () => {
    assert.equal(basicClientId(''), undefined);
    assert.equal(basicClientId('Bearer abc'), undefined);
    assert.equal(basicClientId(`Basic ${Buffer.from('no-colon').toString('base64')}`), undefined);
    assert.equal(basicClientId(`Basic ${Buffer.from('%zz:x').toString('base64')}`), undefined);
  });
});

describe('delay schedule and settings', () => {
  test('defaults double from 30 s and stop at 15 minutes', () => {
    const policy = policiesFromConfig(loadConfig({}))['login.account'];
    const delays = [5, 6, 7, 8, 9, 10, 11, 12, 100].map((failures) => delayAfterFailures(failures, policy) / 1000);
    assert.deepEqual(delays, [0, 30, 60, 120, 240, 480, 900, 900, 900]);
  });

  test('no more than 100 free failures per account', () => {
    assert.throws(() => loadConfig({ PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: '101' }), /PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: must be at most 100/);
    assert.equal(loadConfig({ PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: '100' }).throttle.accountFreeFailures, 100);
  });

  test('the longest wait may not be shorter than the first', () => {
    assert.throws(() => loadConfig({ PROPUSK_THROTTLE_FIRST_DELAY: '60', PROPUSK_THROTTLE_MAX_DELAY: '30' }), /PROPUSK_THROTTLE_MAX_DELAY/);
    assert.throws(() => loadConfig({ PROPUSK_THROTTLE_ACCOUNT_RESET: '60' }), /PROPUSK_THROTTLE_ACCOUNT_RESET/);
  });

  test('REDIS_URL must be a redis URL', () => {
    assert.throws(() => loadConfig({ REDIS_URL: 'http://cache:6379' }), /REDIS_URL: must start with redis:\/\/ or rediss:\/\//);
    assert.equal(loadConfig({ REDIS_URL: 'redis://cache:6379/0' }).redisUrl, 'redis://cache:6379/0');
  });
});

describe('counter key memo', () => {
  test('a key is computed once', () => {
    const cache = createKeyCache(4);
    let computed = 0;
    const compute = () => `key-${++computed}`;
    assert.equal(cache.get('client.ip\n10.0.0.1', compute), 'key-1');
    assert.equal(cache.get('client.ip\n10.0.0.1', compute), 'key-1');
    assert.equal(computed, 1);
  });

  test('a long name is computed each time', () => {
    const cache = createKeyCache(4);
    let computed = 0;
    const name = `client.secret\n${'x'.repeat(MAX_CACHED_NAME_LENGTH)}`;
    cache.get(name, () => `key-${++computed}`);
    cache.get(name, () => `key-${++computed}`);
    assert.equal(computed, 2);
  });

  test('a full cache is emptied', () => {
    const cache = createKeyCache(2);
    let computed = 0;
    const compute = () => `key-${++computed}`;
    cache.get('a', compute);
    cache.get('b', compute);
    // The third name empties the cache, so the first one is computed again.
    cache.get('c', compute);
    assert.equal(cache.get('a', compute), 'key-4');
    assert.equal(computed, 4);
  });
});

describe('client authentication rejections', () => {
  test('new client ids from one network are reported once', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const throttle = {
      reserve: async () => ({ allowed: false as const, retryAfterSeconds: 30, scopes: ['client.ip' as const] }),
      reserveGroups: async () => ({ allowed: false as const, retryAfterSeconds: 30, scopes: ['client.ip' as const] }),
      close: async () => {},
    };
    const guard = createClientAuthThrottle({ throttle, logger, clientAuthPaths: ['/oidc/token'], tokenPath: '/oidc/token', isRegisteredClient: async () => false });
    const statuses: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`client-${index}:guess`).toString('base64')}` };
      const ctx: EndpointContext = {
        method: 'POST',
        path: '/oidc/token',
        ip: `192.0.2.${index + 1}`,
        status: 404,
        body: undefined,
        get: (field) => headers[field] ?? '',
        set: () => {},
      };
      await guard.middleware(ctx, async () => {});
      statuses.push(ctx.status);
    }
    assert.deepEqual(statuses, [429, 429, 429, 429, 429]);
    assert.equal(lines.length, 1, `expected one warning, got:\n${lines.join('')}`);
  });

  test('long client id cut in the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const rejection = { allowed: false as const, retryAfterSeconds: 30, scopes: ['client.ip' as const] };
    const throttle = { reserve: async () => rejection, reserveGroups: async () => rejection, close: async () => {} };
    const guard = createClientAuthThrottle({ throttle, logger, clientAuthPaths: ['/oidc/token'], tokenPath: '/oidc/token', isRegisteredClient: async () => false });
    const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${'x'.repeat(5000)}:guess`).toString('base64')}` };
    const ctx: EndpointContext = { method: 'POST', path: '/oidc/token', ip: '192.0.2.9', status: 404, body: undefined, get: (field) => headers[field] ?? '', set: () => {} };
    await guard.middleware(ctx, async () => {});
    assert.equal(ctx.status, 429);
    const logged = (JSON.parse(lines[0] ?? '{}') as { clientId?: string }).clientId;
    assert.equal(logged, 'x'.repeat(128));
  });
});
