// Graceful shutdown of `propusk start --workers 1` as a real process: a
// request in flight when SIGTERM arrives completes, new connections are
// refused, and the process exits with status 0; a request that never
// finishes makes it exit with status 1 at PROPUSK_SHUTDOWN_TIMEOUT.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formAction, formField, TestBrowser } from './helpers/browser.js';
import { authorizationRequest, DEMO_PASSWORD, relyingParty } from './helpers/oidc-flow.js';
import { exitWithin, waitUntil } from './helpers/processes.js';
import { freePort } from './helpers/propusk-server.js';
import { runPropuskCommand, spawnPropusk, type PropuskNode } from './helpers/propusk-process.js';

const DEMO_FILE = 'src/demo/demo-data.json';
const EXIT_WAIT_MS = 20_000;

let directory: string;

/** Import the demo school into a fresh SQLite data directory, then start one process on it. */
async function startNode(name: string, extra: Record<string, string> = {}): Promise<PropuskNode> {
  const env = { ...baseEnv(path.join(directory, name), String(await freePort())), ...extra };
  await runPropuskCommand(['import', DEMO_FILE], env, path.join(directory, `${name}-import.log`));
  return spawnPropusk(name, env, path.join(directory, `${name}.log`));
}

function baseEnv(dataDir: string, port: string): Record<string, string> {
  return { NODE_ENV: 'test', PORT: port, PROPUSK_DATA_DIR: dataDir, PROPUSK_DEMO: 'false', PROPUSK_WORKERS: '1', LOG_LEVEL: 'info' };
}

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/**
 * Open a login form POST whose body is sent in two parts, so the request stays
 * in flight between them. It requests 100 Continue, which Node's HTTP server sends
 * when it hands the request to Fastify. Once it arrives, the request is in
 * flight and no longer one that a closing server rejects with 503.
 */
async function openSlowLogin(node: PropuskNode): Promise<{ socket: Socket; rest: string; response: Promise<string> }> {
  const issuer = `http://localhost:${node.port}`;
  const browser = new TestBrowser(issuer);
  const auth = await authorizationRequest(await relyingParty(issuer, 'dnevnik'));
  const page = await browser.follow(auth.url.toString());
  assert.equal(page.status, 200);
  const body = new URLSearchParams({ csrf: formField(page.body, 'csrf'), login: 'ivanova@example.ru', password: DEMO_PASSWORD }).toString();
  const cookies = browser.cookieNames().map((name) => `${name}=${browser.cookie(name)}`).join('; ');

  const socket = connect(node.port, '127.0.0.1');
  let received = '';
  // Resolves at 100 Continue, or at the close of a connection that got a final response at once instead.
  let continueOrClose = () => {};
  const continued = new Promise<void>((resolve) => {
    continueOrClose = resolve;
  });
  const response = new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (received.startsWith(CONTINUE)) continueOrClose();
    });
    socket.on('close', () => {
      continueOrClose();
      resolve(received.startsWith(CONTINUE) ? received.slice(CONTINUE.length) : received);
    });
    socket.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  socket.write(
    [
      `POST ${formAction(page.body)} HTTP/1.1`,
      `Host: localhost:${node.port}`,
      'Content-Type: application/x-www-form-urlencoded',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Expect: 100-continue',
      `Cookie: ${cookies}`,
      'Connection: close',
      '',
      '',
    ].join('\r\n'),
  );
  await continued;
  socket.write(body.slice(0, half));
  return { socket, rest: body.slice(half), response };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('graceful shutdown of a single process', () => {
  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'propusk-shutdown-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test('login in flight at SIGTERM completes', async () => {
    const node = await startNode('graceful');
    try {
      const slow = await openSlowLogin(node);
      node.child.kill('SIGTERM');

      await waitUntil('the listening socket closed after SIGTERM', 10_000, () => connectionRefused(node.port));
      assert.equal(node.child.exitCode, null, 'the process must wait for the request in flight');

      slow.socket.write(slow.rest);
      const response = await slow.response;
      assert.match(response, /^HTTP\/1\.1 303 /, `the login in flight must finish with its redirect, got: ${response.slice(0, 300)}`);
      assert.match(response, /\r\nlocation: http:\/\/localhost:\d+\/oidc\/auth\//i);

      const status = await exitWithin(node.child, EXIT_WAIT_MS);
      assert.deepEqual(status, { code: 0, signal: null }, await node.logTail());
      const log = await node.logTail();
      assert.match(log, /shutting down: finishing the requests in flight/);
      assert.match(log, /shutdown complete/);
    } finally {
      await node.kill();
    }
  });

  test('unfinished request hits the deadline', async () => {
    const node = await startNode('deadline', { PROPUSK_SHUTDOWN_TIMEOUT: '1' });
    try {
      const slow = await openSlowLogin(node);
      node.child.kill('SIGTERM');

      const status = await exitWithin(node.child, EXIT_WAIT_MS);
      slow.socket.destroy();
      assert.deepEqual(status, { code: 1, signal: null }, await node.logTail());
      assert.match(await node.logTail(), /shutdown did not finish within PROPUSK_SHUTDOWN_TIMEOUT; exiting with status 1/);
    } finally {
      await node.kill();
    }
  });
});
