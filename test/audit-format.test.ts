import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalDetails, hashRecord } from '../src/audit/canonical.js';
import { loginFailed } from '../src/audit/login-events.js';
import { MAX_USER_AGENT_LENGTH, toAuditEntry } from '../src/audit/sanitize.js';
import { describeUserAgent } from '../src/audit/user-agent.js';

describe('describeUserAgent', () => {
  const cases: Array<[string, string | undefined]> = [
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome, Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0', 'Edge, Windows'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 YaBrowser/24.4.0.0 Safari/537.36', 'Yandex Browser, Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari, macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari, iOS'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36', 'Chrome, Android'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox, Windows'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 'Chrome, ChromeOS'],
    ['curl/8.5.0', 'curl'],
    ['node', undefined],
  ];
  for (const [agent, expected] of cases) {
    test(`describes ${expected ?? 'an unknown agent'}`, () => {
      assert.equal(describeUserAgent(agent), expected);
    });
  }

  test('has nothing to say without a header', () => {
    assert.equal(describeUserAgent(null), undefined);
  });
});

describe('toAuditEntry', () => {
  test('strips control characters and truncates the user agent', () => {
    const { entry } = toAuditEntry({ type: 'logout', context: { userAgent: `Evil\r\nFake: line\u001b[31m${'x'.repeat(400)}` } });
    assert.doesNotMatch(entry.user_agent ?? '', /[\r\n\u001b]/);
    assert.equal(entry.user_agent?.length, MAX_USER_AGENT_LENGTH);
    assert.ok(entry.user_agent?.startsWith('EvilFake: line[31m'));
  });

  test('stores an IPv4-mapped address as IPv4', () => {
    assert.equal(toAuditEntry({ type: 'logout', context: { ip: '::ffff:203.0.113.5' } }).entry.ip, '203.0.113.5');
    assert.equal(toAuditEntry({ type: 'logout', context: { ip: '2001:db8::1' } }).entry.ip, '2001:db8::1');
  });

  test('keeps short detail keys and drops the rest', () => {
    const { entry, droppedDetails } = toAuditEntry({
      type: 'admin.action',
      details: { reason: 'a\nb', count: Number.POSITIVE_INFINITY, 'bad key': 'x', ok: true },
    });
    assert.deepEqual(JSON.parse(entry.details), { count: null, ok: true, reason: 'ab' });
    assert.deepEqual(droppedDetails, ['bad key']);
  });

  test('missing context becomes nulls', () => {
    const { entry } = toAuditEntry({ type: 'keys.rotated' });
    assert.deepEqual(entry, { type: 'keys.rotated', person_id: null, client_id: null, ip: null, user_agent: null, request_id: null, details: '{}' });
  });
});

describe('canonical serialisation', () => {
  test('details serialise with sorted keys', () => {
    assert.equal(canonicalDetails({ b: 1, a: 'x' }), '{"a":"x","b":1}');
  });

  test('every field changes the hash', () => {
    const row = { seq: 1, occurred_at: 1, type: 'logout', person_id: 'p', client_id: 'c', ip: 'i', user_agent: 'u', request_id: 'r', details: '{}', prev_hash: 'h' };
    const base = hashRecord(row);
    for (const key of Object.keys(row) as Array<keyof typeof row>) {
      const changed = { ...row, [key]: typeof row[key] === 'number' ? 2 : `${row[key]}!` };
      assert.notEqual(hashRecord(changed), base, key);
    }
    assert.notEqual(hashRecord({ ...row, person_id: null }), hashRecord({ ...row, person_id: 'null' }), 'null differs from the text "null"');
  });
});

describe('login.failed details', () => {
  test('list every kind the input reads as', () => {
    // Eleven digits with a valid СНИЛС checksum that also read as a Russian mobile number.
    const event = loginFailed({ login: '8 916 000 00 86', reason: 'invalid_credentials', clientId: 'dnevnik', context: {} });
    assert.equal(event.details?.identifierKinds, 'phone,snils');
    assert.equal(event.personId, undefined);
    assert.doesNotMatch(JSON.stringify(event), /916/);
  });
});
