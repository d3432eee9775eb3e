import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/*
 * Requests that Node's HTTP parser rejects before Fastify gets them get a
 * small page in Russian and English, not Fastify's English JSON, and the
 * connection closes.
 */
describe('requests the HTTP parser rejects', () => {
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk();
  });
  after(async () => propusk?.stop());

  /** Send raw bytes and collect everything the server writes until it closes the connection. */
  function exchange(raw: string): Promise<string> {
    const { hostname, port } = new URL(propusk.issuer);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname);
      const chunks: Buffer[] = [];
      socket.setTimeout(10_000, () => socket.destroy(new Error('no response within 10 s')));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(error)));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.write(raw);
    });
  }

  const cases = [
    { label: 'headers too large', raw: `GET /oidc/session/end?state=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`, status: 431, ru: 'Адрес или заголовки запроса слишком длинные.', en: 'The address or headers of the request are too long.' },
    { label: 'malformed request line', raw: 'NOT A REQUEST\r\n\r\n', status: 400, ru: 'Запрос не удалось прочитать.', en: 'The request could not be read.' },
  ];

  for (const { label, raw, status, ru, en } of cases) {
    test(`${label}: ${status} page, ru and en`, async () => {
      const response = await exchange(raw);
      const [head = '', body = ''] = response.split('\r\n\r\n');
      assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.match(head, /\r\ncontent-type: text\/html; charset=utf-8/i);
      assert.match(head, /\r\ncontent-security-policy: default-src 'none'/i);
      assert.equal(Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]), Buffer.byteLength(body), 'the length counts bytes');
      assert.ok(body.includes(ru), body);
      assert.ok(body.includes(en), body);
      assert.doesNotMatch(body, /"statusCode"/, 'not the JSON of Fastify');
    });
  }
});
