import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors/index.js';
import { clientIpResolver, forwardedClientIp, UNKNOWN_CLIENT_IP } from '../src/server/client-ip.js';
import { parseProxyList, trustedProxyMatcher } from '../src/server/trusted-proxies.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

function fakeRequest(remoteAddress: string | undefined, forwardedFor?: string | string[]): IncomingMessage {
  const headers: Record<string, string | string[]> = {};
  if (forwardedFor !== undefined) {
    headers['x-forwarded-for'] = forwardedFor;
  }
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('trusted proxy list', () => {
  test('addresses and CIDR ranges parse', () => {
    const list = parseProxyList(' 10.0.0.0/8, 192.0.2.10 ,2001:db8::/32, ::1,');
    assert.deepEqual(list, { ok: true, entries: ['10.0.0.0/8', '192.0.2.10', '2001:db8::/32', '::1'] });
    assert.deepEqual(parseProxyList(''), { ok: true, entries: [] });
  });

  test('every invalid entry is named', () => {
    const list = parseProxyList('10.0.0.0/33, proxy.local, 1.2.3.4:80, 10.0.0.1, ::1/129, 10.0.0.0/8/8, 10.0.0.0/x');
    assert.deepEqual(list, { ok: false, invalid: ['10.0.0.0/33', 'proxy.local', '1.2.3.4:80', '::1/129', '10.0.0.0/8/8', '10.0.0.0/x'] });
  });

  test('matcher checks ranges, single addresses and IPv4-mapped IPv6', () => {
    const trusted = trustedProxyMatcher(['10.0.0.0/8', '192.0.2.10', '2001:db8::/32']);
    assert.equal(trusted('10.200.3.4'), true);
    assert.equal(trusted('::ffff:10.200.3.4'), true);
    assert.equal(trusted('192.0.2.10'), true);
    assert.equal(trusted('192.0.2.11'), false);
    assert.equal(trusted('2001:db8:1::5'), true);
    assert.equal(trusted('2001:db9::5'), false);
    assert.equal(trusted('not an address'), false);
  });

  test('configuration reads PROPUSK_TRUSTED_PROXIES and rejects a bad entry', () => {
    assert.deepEqual(loadConfig({}).trustedProxies, []);
    assert.deepEqual(loadConfig({ PROPUSK_TRUSTED_PROXIES: '10.0.0.0/8,127.0.0.1' }).trustedProxies, ['10.0.0.0/8', '127.0.0.1']);
    assert.throws(
      () => loadConfig({ PROPUSK_TRUSTED_PROXIES: '10.0.0.0/8, proxy.local' }),
      (error: unknown) => error instanceof ConfigError && /PROPUSK_TRUSTED_PROXIES: not an IP address or CIDR range: proxy\.local/.test(error.message),
    );
  });

  test('the old boolean setting is gone', () => {
    assert.equal('trustProxy' in loadConfig({ PROPUSK_TRUST_PROXY: 'true' }), false);
  });
});

describe('client address from X-Forwarded-For', () => {
  const trusted = trustedProxyMatcher(['10.0.0.0/8', '192.0.2.10']);

  const cases: Array<{ name: string; socket: string; header: string | undefined; expected: string }> = [
    { name: 'untrusted peer: header ignored', socket: '203.0.113.9', header: '198.51.100.1', expected: '203.0.113.9' },
    { name: 'trusted peer, no header', socket: '10.0.0.1', header: undefined, expected: '10.0.0.1' },
    { name: 'one trusted hop', socket: '10.0.0.1', header: '198.51.100.1', expected: '198.51.100.1' },
    { name: 'two trusted hops', socket: '10.0.0.1', header: '198.51.100.1, 192.0.2.10', expected: '198.51.100.1' },
    { name: 'forged left entries are not read', socket: '10.0.0.1', header: '1.1.1.1, 2.2.2.2, 198.51.100.1', expected: '198.51.100.1' },
    { name: 'garbage left of the client is not read', socket: '10.0.0.1', header: '<script>, unknown, 198.51.100.1', expected: '198.51.100.1' },
    { name: 'malformed entry on the walk: socket', socket: '10.0.0.1', header: '198.51.100.1, unknown', expected: '10.0.0.1' },
    { name: 'entry with a port: socket', socket: '10.0.0.1', header: '198.51.100.1:4711', expected: '10.0.0.1' },
    { name: 'empty entry on the walk: socket', socket: '10.0.0.1', header: '198.51.100.1,', expected: '10.0.0.1' },
    { name: 'empty header: socket', socket: '10.0.0.1', header: '', expected: '10.0.0.1' },
    { name: 'every hop trusted: leftmost', socket: '10.0.0.1', header: '10.0.0.7, 192.0.2.10', expected: '10.0.0.7' },
    { name: 'IPv6 client', socket: '10.0.0.1', header: '2001:db8::1', expected: '2001:db8::1' },
    { name: 'IPv4-mapped client is read as IPv4', socket: '10.0.0.1', header: '::ffff:198.51.100.1', expected: '198.51.100.1' },
    { name: 'markup with CR LF: socket', socket: '10.0.0.1', header: '198.51.100.1\r\nx: <b>', expected: '10.0.0.1' },
  ];
  for (const { name, socket, header, expected } of cases) {
    test(name, () => {
      assert.equal(forwardedClientIp(socket, header, trusted), expected);
    });
  }

  test('resolver: no trusted proxies means the socket address', () => {
    const resolve = clientIpResolver([]);
    assert.equal(resolve(fakeRequest('127.0.0.1', '198.51.100.1')), '127.0.0.1');
  });

  test('resolver: IPv4-mapped socket address, repeated header lines, closed socket', () => {
    const resolve = clientIpResolver(['10.0.0.0/8']);
    assert.equal(resolve(fakeRequest('::ffff:10.1.1.1', '198.51.100.1')), '198.51.100.1');
    assert.equal(resolve(fakeRequest('::ffff:203.0.113.5', '198.51.100.1')), '203.0.113.5');
    assert.equal(resolve(fakeRequest('10.1.1.1', ['198.51.100.1', '10.2.2.2'])), '198.51.100.1');
    assert.equal(resolve(fakeRequest(undefined, '198.51.100.1')), UNKNOWN_CLIENT_IP);
  });
});

/** GET /healthz over a real socket with the given X-Forwarded-For header lines; returns the logged client address. */
async function loggedClientIp(propusk: RunningPropusk, lines: string[], forwardedFor: string[] | undefined): Promise<string> {
  const url = new URL('/healthz', propusk.issuer);
  const requestId = await new Promise<string>((resolve, reject) => {
    const headers: Record<string, string[]> = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
    const req = httpRequest({ host: '127.0.0.1', port: url.port, path: url.pathname, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers['x-request-id'])));
    });
    req.on('error', reject);
    req.end();
  });
  // The log line is written when the response finishes; give the hook a moment.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const entry = lines
    .map((line) => JSON.parse(line) as { msg?: string; reqId?: string; ip?: string })
    .find((candidate) => candidate.msg === 'request' && candidate.reqId === requestId);
  assert.ok(entry !== undefined, `no request line for ${requestId}`);
  return String(entry.ip);
}

describe('client address over HTTP', () => {
  let behindProxy: RunningPropusk;
  let direct: RunningPropusk;
  const proxyLines: string[] = [];
  const directLines: string[] = [];

  before(async () => {
    behindProxy = await startPropusk({ env: { PROPUSK_TRUSTED_PROXIES: '127.0.0.0/8' }, logLines: proxyLines });
    direct = await startPropusk({ logLines: directLines });
  });
  after(async () => {
    await behindProxy?.stop();
    await direct?.stop();
  });

  test('behind a trusted proxy the first untrusted hop is the client', async () => {
    assert.equal(await loggedClientIp(behindProxy, proxyLines, ['203.0.113.7, 198.51.100.20']), '198.51.100.20');
    assert.equal(await loggedClientIp(behindProxy, proxyLines, ['203.0.113.7', '198.51.100.20, 127.0.0.2']), '198.51.100.20');
  });

  test('a malformed header falls back to the socket address', async () => {
    assert.equal(await loggedClientIp(behindProxy, proxyLines, ['198.51.100.20, not-an-ip']), '127.0.0.1');
    assert.equal(await loggedClientIp(behindProxy, proxyLines, undefined), '127.0.0.1');
  });

  test('without trusted proxies X-Forwarded-For is ignored', async () => {
    assert.equal(await loggedClientIp(direct, directLines, ['198.51.100.20']), '127.0.0.1');
  });
});
