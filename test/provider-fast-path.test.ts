import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createProviderFastPath } from '../src/server/provider-fast-path.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Send `text` on a new TCP connection and return everything received until the server closes it. */
function rawExchange(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(text);
  });
}

/** Fetch `url`, retrying refused connections for up to a second while a server starts listening. */
async function waitForAnswer(url: string): Promise<Response> {
  const deadline = Date.now() + 1000;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('provider fast path switch', () => {
  const factoryOptions = {
    keepAliveTimeout: 4321,
    requestTimeout: 30_000,
    connectionTimeout: 0,
    maxRequestsPerSocket: 7,
    clientErrorHandler: (_error: Error, socket: Socket) => socket.end('HTTP/1.1 400 Bad Request\r\nx-handled-by: test\r\nconnection: close\r\n\r\n'),
  };

  test('server gets Fastify timeouts', () => {
    const fastPath = createProviderFastPath();
    const server = fastPath.serverFactory(() => {}, factoryOptions);
    assert.equal(server.keepAliveTimeout, 4321);
    assert.equal(server.requestTimeout, 30_000);
    assert.equal(server.maxRequestsPerSocket, 7);
  });

  test('routes by match, then by state', async () => {
    const fastPath = createProviderFastPath();
    const server = fastPath.serverFactory((_req, res) => res.end('fastify'), factoryOptions);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body = async (path: string) => (await fetch(`${origin}${path}`)).text();
    try {
      assert.equal(await body('/oidc/jwks'), 'fastify', 'before enable');

      fastPath.enable((req) => req.url?.startsWith('/oidc/') === true, (_req, res) => res.end('provider'));
      assert.equal(await body('/oidc/jwks'), 'provider');
      assert.equal(await body('/home'), 'fastify');

      fastPath.disable();
      assert.equal(await body('/oidc/jwks'), 'fastify', 'after disable');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('localhost peers: listen, route, close', async () => {
    // 192.0.2.1 (TEST-NET-1) is on no interface here, so it cannot be bound.
    const fastPath = createProviderFastPath({ lookupLocalhost: async () => ['127.0.0.1', '::1', '192.0.2.1'] });
    const server = fastPath.serverFactory((_req, res) => res.end('fastify'), factoryOptions);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    fastPath.enable((req) => req.url?.startsWith('/oidc/') === true, (_req, res) => res.end('provider'));
    try {
      const failures = await fastPath.listenOnLocalhostPeers();
      assert.deepEqual(failures.map((failure) => failure.address), ['192.0.2.1']);
      assert.equal((failures[0]?.error as NodeJS.ErrnoException).code, 'EADDRNOTAVAIL');

      assert.equal(await (await waitForAnswer(`http://[::1]:${port}/oidc/jwks`)).text(), 'provider');
      assert.equal(await (await fetch(`http://[::1]:${port}/home`)).text(), 'fastify');
      assert.match(await rawExchange('::1', port, 'NOT HTTP\r\n\r\n'), /x-handled-by: test/, 'the peer has the client error handler');

      await fastPath.closeLocalhostPeers();
      await assert.rejects(fetch(`http://[::1]:${port}/oidc/jwks`), 'the IPv6 peer stopped listening');
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/oidc/jwks`)).text(), 'fastify', 'the main server is Fastify\'s to close');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('provider requests without Fastify', () => {
  let propusk: RunningPropusk;
  const logLines: string[] = [];

  before(async () => {
    propusk = await startPropusk({ logLines });
  });
  after(async () => propusk?.stop());

  test('request id replaces the client one', async () => {
    const response = await fetch(`${propusk.issuer}/.well-known/openid-configuration`, { headers: { 'x-request-id': 'forged-by-client' } });
    assert.equal(response.status, 200);
    await response.text();
    const id = response.headers.get('x-request-id') ?? '';
    assert.match(id, UUID);

    const line = logLines.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.reqId === id);
    assert.ok(line !== undefined, 'a log line carries the response id');
    assert.equal(line.msg, 'request');
    assert.equal(line.level, 30);
    assert.equal(line.method, 'GET');
    assert.equal(line.url, '/.well-known/openid-configuration');
    assert.equal(line.status, 200);
    assert.equal(line.ip, '127.0.0.1');
    assert.equal(typeof line.ms, 'number');
    assert.ok(!logLines.some((text) => text.includes('forged-by-client')), 'the client id is never logged');
  });

  test('security headers on provider responses', async () => {
    const response = await fetch(`${propusk.issuer}/oidc/jwks`);
    assert.equal(response.status, 200);
    await response.text();
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  });

  test('malformed provider path: 400 page', async () => {
    for (const path of ['/oidc/%zz', '/oidc/jwks%', '/.well-known/%E0%A4%A']) {
      const response = await fetch(`${propusk.issuer}${path}`, { headers: { accept: 'text/html', 'accept-language': 'ru' } });
      assert.equal(response.status, 400, path);
      const page = await response.text();
      assert.match(response.headers.get('content-type') ?? '', /text\/html/, path);
      assert.match(page, /lang="ru"/, path);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src/, path);
      const id = response.headers.get('x-request-id') ?? '';
      assert.match(id, UUID, path);
      assert.ok(page.includes(id), `${path}: the page shows the response request id`);
      const line = logLines.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.reqId === id);
      assert.equal(line?.msg, 'request rejected before routing', path);
      assert.equal(line?.status, 400, path);
      assert.equal(line?.ip, '127.0.0.1', path);
      assert.equal(typeof line?.url, 'string', path);
    }
  });

  test('valid escape: provider 404, not 400', async () => {
    // oidc-provider matches the raw path, so an escaped letter names no endpoint; the escape itself is valid.
    const response = await fetch(`${propusk.issuer}/oidc/%6Awks`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 404);
    await response.text();
  });
});
