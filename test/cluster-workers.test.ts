// `propusk start` with PROPUSK_WORKERS=2 on the embedded SQLite database: the
// primary prepares the database once, both workers serve full logins, the
// metrics add up over the workers, a killed worker is replaced while the
// other serves, and SIGTERM stops them all with status 0.
//
// Which worker owns a connection is read from Linux's /proc, so the test
// needs Linux, and the product needs no test-only header for it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile, readlink, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MIGRATIONS } from '../src/storage/migrations/registry.js';
import { passwordLogin, relyingParty, type RelyingParty } from './helpers/oidc-flow.js';
import { exited, exitWithin, stopAtExit, stopChild, waitUntil } from './helpers/processes.js';
import { freePort } from './helpers/propusk-server.js';
import { runPropuskCommand } from './helpers/propusk-process.js';

const TOKEN = 'cluster-test-metrics-token-0123456789abcdef';
const WORKERS = 2;
const LOGINS = 6;
const REPLACEMENT_WAIT_MS = 30_000;
const START_WAIT_MS = 60_000;

interface ClusterNode {
  port: number;
  origin: string;
  child: ChildProcess;
  /** The whole output of the primary and its workers so far. */
  log(): Promise<string>;
}

/** Run `propusk start --workers N` as the test's child, and wait until every worker listens. */
async function startCluster(env: Record<string, string>, logFile: string): Promise<ClusterNode> {
  const port = Number(env.PORT);
  const descriptor = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--workers', String(WORKERS)], {
    cwd: new URL('..', import.meta.url),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', descriptor, descriptor],
  });
  closeSync(descriptor);
  const cancelEmergencyStop = stopAtExit(() => child.kill('SIGKILL'));
  void exited(child).then(cancelEmergencyStop);
  const node = { port, origin: `http://127.0.0.1:${port}`, child, log: () => readFile(logFile, 'utf8') };
  try {
    await waitUntil('every worker listening', START_WAIT_MS, async () => {
      if (child.exitCode !== null) throw new Error(`the primary exited with ${child.exitCode}:\n${await node.log()}`);
      return occurrences(await node.log(), 'worker listening') >= WORKERS;
    }, 100);
  } catch (error) {
    await stopChild(child, 'SIGKILL', 0);
    throw error;
  }
  return node;
}

function occurrences(text: string, phrase: string): number {
  return text.split(phrase).length - 1;
}

/**
 * PIDs of the live worker processes of the primary `parent`. Other children,
 * such as the esbuild service that tsx may start, are left out.
 */
async function childPids(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which sits in parentheses and may contain spaces: state, ppid, …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) !== parent || fields[0] === 'Z') continue;
    const command = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (command.includes('src/cli/main.ts')) pids.push(Number(entry));
  }
  return pids.sort((a, b) => a - b);
}

/** Describe processes by PID, state and command line, for failure messages. */
async function describeProcesses(pids: number[]): Promise<string> {
  const lines = await Promise.all(
    pids.map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => 'gone');
      const command = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
      return `${pid}: ${stat.slice(0, 60)} ${command}`;
    }),
  );
  return lines.join('\n');
}

/** Find the socket inode of the server side of a loopback TCP connection in /proc/net/tcp. */
async function serverInode(serverPort: number, clientPort: number): Promise<string | undefined> {
  const hexPort = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  const lines = (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1);
  for (const line of lines) {
    const columns = line.trim().split(/\s+/);
    if (columns[1]?.endsWith(`:${hexPort(serverPort)}`) && columns[2]?.endsWith(`:${hexPort(clientPort)}`)) {
      return columns[9];
    }
  }
  return undefined;
}

async function ownsSocket(pid: number, inode: string): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) return true;
  }
  return false;
}

/** Open a connection, get one /healthz response on it, and return the PID of the worker that owns it. */
async function workerServingOneConnection(port: number, workers: number[]): Promise<number | undefined> {
  const socket: Socket = connect(port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => {
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('utf8');
        if (received.includes('{"status":"ok"}')) resolve();
      });
      socket.on('error', reject);
      socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    });
    const inode = await serverInode(port, socket.localPort as number);
    if (inode === undefined) return undefined;
    for (const pid of workers) {
      if (await ownsSocket(pid, inode)) return pid;
    }
    return undefined;
  } finally {
    socket.destroy();
  }
}

/**
 * Run `flow` again once if it failed on a keep-alive connection that the
 * killed worker owned. Like a browser, fetch may send a request on it before
 * it has seen the connection close, and a browser retries such a request.
 */
async function retryOnDeadConnection<T>(flow: () => Promise<T>): Promise<T> {
  try {
    return await flow();
  } catch (error) {
    const code = ((error as { cause?: { code?: string } }).cause ?? {}).code;
    if (!(error instanceof TypeError) || !['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes(code ?? '')) throw error;
    return flow();
  }
}

async function scrapeLogins(node: ClusterNode, outcome: string): Promise<number> {
  const response = await fetch(`${node.origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200);
  const match = new RegExp(`^propusk_logins_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(await response.text());
  assert.ok(match !== null, `no propusk_logins_total{outcome="${outcome}"} sample`);
  return Number(match[1]);
}

describe('cluster start failure', { skip: process.platform === 'linux' ? undefined : 'runs with the cluster tests' }, () => {
  test('port in use stops the primary with status 1', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'propusk-cluster-busy-'));
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const logFile = path.join(directory, 'cluster.log');
    try {
      const descriptor = openSync(logFile, 'a');
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--workers', String(WORKERS)], {
        cwd: new URL('..', import.meta.url),
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', PORT: String(port), PROPUSK_DATA_DIR: path.join(directory, 'data'), PROPUSK_DEMO: 'false' },
        stdio: ['ignore', descriptor, descriptor],
      });
      closeSync(descriptor);
      const status = (await exitWithin(child, START_WAIT_MS)) ?? (await stopChild(child, 'SIGKILL', 0));
      const log = await readFile(logFile, 'utf8');
      assert.deepEqual(status, { code: 1, signal: null }, log);
      assert.match(log, /a worker failed to start; stopping the others/);
      assert.match(log, /Cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
    } finally {
      blocker.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('cluster workers on SQLite', { skip: process.platform === 'linux' ? undefined : 'reads /proc, which only Linux has' }, () => {
  let directory: string;
  let node: ClusterNode;
  let issuer: string;
  let dnevnik: RelyingParty;

  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'propusk-cluster-'));
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    const env = {
      NODE_ENV: 'test',
      PORT: String(port),
      PROPUSK_DATA_DIR: path.join(directory, 'data'),
      PROPUSK_DEMO: 'false',
      PROPUSK_METRICS_TOKEN: TOKEN,
      // Logins here run two at a time on a busy test machine; they must queue for a hash thread, not get 503.
      PROPUSK_HASH_MAX_WAIT_MS: '10000',
      LOG_LEVEL: 'info',
    };
    node = await startCluster(env, path.join(directory, 'cluster.log'));
    // Imported while the workers run: SQLite in WAL mode lets this second writer in.
    await runPropuskCommand(['import', 'src/demo/demo-data.json'], env, path.join(directory, 'import.log'));
    dnevnik = await relyingParty(issuer, 'dnevnik');
  });
  after(async () => {
    if (node !== undefined) await stopChild(node.child, 'SIGKILL', 0);
    await rm(directory, { recursive: true, force: true });
  });

  test('the primary forks the configured number of workers and migrates the database once', async () => {
    const children = await childPids(node.child.pid as number);
    const log = await node.log();
    assert.equal(children.length, WORKERS, `${await describeProcesses(children)}\n${log}`);
    assert.equal(occurrences(log, 'Database migration applied'), Object.keys(MIGRATIONS).length, 'each migration applied once, by the primary');
    assert.equal(occurrences(log, 'generated signing and cookie keys'), 1);
  });

  test('new connections are spread over both workers', async () => {
    const workers = await childPids(node.child.pid as number);
    const owners = new Set<number>();
    // The primary hands connections round-robin to the workers that are listening. A worker that is still
    // starting joins later, so the test tries up to 40 connections, 50 ms apart, until each worker has had one.
    for (let i = 0; i < 40 && owners.size < WORKERS; i += 1) {
      const owner = await workerServingOneConnection(node.port, workers);
      if (owner !== undefined) owners.add(owner);
      await sleep(50);
    }
    assert.deepEqual([...owners].sort(), workers, 'each worker must accept connections');
  });

  test('full logins succeed, and the metrics count them over all workers', async () => {
    const before = await scrapeLogins(node, 'success');
    // Two at a time, so both workers write to the SQLite file at the same moments.
    for (let i = 0; i < LOGINS; i += 2) {
      const pair = await Promise.all([passwordLogin(issuer, dnevnik, 'smirnov@example.ru'), passwordLogin(issuer, dnevnik, '+79160000002')]);
      for (const { tokens } of pair) assert.ok(tokens.access_token !== undefined);
    }
    assert.equal((await scrapeLogins(node, 'success')) - before, LOGINS);
  });

  test('a killed worker is replaced while the other one serves', async () => {
    const [victim, survivor] = await childPids(node.child.pid as number);
    assert.ok(victim !== undefined);
    assert.ok(survivor !== undefined);
    process.kill(victim, 'SIGKILL');
    await waitUntil('the killed worker gone', 10_000, async () => !(await childPids(node.child.pid as number)).includes(victim));

    // Served by the survivor alone, or by the replacement once it listens.
    const { tokens } = await retryOnDeadConnection(() => passwordLogin(issuer, dnevnik, 'smirnov@example.ru'));
    assert.ok(tokens.access_token !== undefined);

    await waitUntil('a replacement worker', REPLACEMENT_WAIT_MS, async () => (await childPids(node.child.pid as number)).length === WORKERS);
    const workers = await childPids(node.child.pid as number);
    assert.ok(workers.includes(survivor));
    assert.ok(!workers.includes(victim));
    await waitUntil('the replacement listening', REPLACEMENT_WAIT_MS, async () => occurrences(await node.log(), 'worker listening') >= WORKERS + 1);
    assert.match(await node.log(), /worker died; starting a replacement/);

    // The replacement serves: connections reach both the survivor and it. The primary may hand it its first
    // connections only a moment after it logs that it listens, so up to 20 connections are tried.
    const owners = new Set<number | undefined>();
    for (let i = 0; i < 20 && owners.size < WORKERS; i += 1) {
      owners.add(await workerServingOneConnection(node.port, workers));
    }
    // Numeric order, as childPids returns: PIDs of different lengths sort wrongly as text.
    assert.deepEqual([...owners].sort((a, b) => (a ?? 0) - (b ?? 0)), workers);
  });

  test('SIGTERM to the primary stops every worker gracefully and exits with status 0', async () => {
    const workers = await childPids(node.child.pid as number);
    node.child.kill('SIGTERM');
    const status = await exitWithin(node.child, 30_000);
    assert.deepEqual(status, { code: 0, signal: null }, await node.log());
    for (const pid of workers) {
      assert.equal(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => 'gone'), 'gone', `worker ${pid} still runs`);
    }
    assert.match(await node.log(), /all workers have exited/);
  });
});
