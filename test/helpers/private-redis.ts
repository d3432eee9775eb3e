// A redis-server child process owned by one test file, on a random loopback
// port, that a fault test may stop and start again on the same port.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './propusk-server.js';
import { exited, stopAtExit, stopChild, waitUntil } from './processes.js';
import type { ServiceUnavailable } from './services.js';

export type BinaryStatus = { ok: true; path: string } | ServiceUnavailable;

export interface PrivateRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** SIGTERM, as an operator's stop: with append-only persistence Redis writes its file first. */
  stop(): Promise<void>;
  /** Start again on the same port and directory. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open but no command gets a reply, as on a hung host. */
  freeze(): void;
  /** SIGCONT after freeze. */
  thaw(): void;
  /** Stop if running and delete the directory. Safe to call twice. */
  destroy(): Promise<void>;
}

const REDIS_SERVER = 'redis-server';
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 10_000;

export async function redisServerAvailable(): Promise<BinaryStatus> {
  try {
    await promisify(execFile)(REDIS_SERVER, ['--version'], { timeout: 5000 });
    return { ok: true, path: REDIS_SERVER };
  } catch (error) {
    return { ok: false, reason: `${REDIS_SERVER} cannot run (install the Debian package redis-server): ${(error as Error).message}` };
  }
}

/** Send PING on a fresh connection; true when Redis replies +PONG (not while it loads its data). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/**
 * Start redis-server on a free port in a new temporary directory. Without
 * `appendOnly` it keeps nothing across a restart, like the CI's shared Redis.
 * With it, every write goes to an append-only file that a restart reloads.
 */
export async function startPrivateRedis(options: { appendOnly?: boolean } = {}): Promise<PrivateRedis> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'propusk-redis-'));
  const port = await freePort();
  const logFile = path.join(directory, 'redis.log');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', options.appendOnly === true ? 'yes' : 'no'];
  args.push('--appendfsync', 'always', '--dir', directory, '--logfile', logFile);

  let child: ChildProcess | undefined;
  let cancelEmergencyStop = () => {};

  const start = async () => {
    const server = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    child = server;
    // SIGKILL also ends a frozen server.
    cancelEmergencyStop = stopAtExit(() => server.kill('SIGKILL'));
    let exitedEarly = false;
    void exited(server).then(() => {
      exitedEarly = true;
    });
    try {
      await waitUntil(`redis-server on port ${port}`, READY_TIMEOUT_MS, async () => {
        if (exitedEarly) throw new Error('redis-server exited during start');
        return answersPing(port);
      });
    } catch (error) {
      await stopChild(server, 'SIGKILL', 0);
      child = undefined;
      cancelEmergencyStop();
      const log = await readFile(logFile, 'utf8').catch(() => '(no log)');
      throw new Error(`${(error as Error).message}\nredis log tail:\n${log.slice(-2000)}`);
    }
  };

  const signal = (name: NodeJS.Signals) => {
    if (child === undefined) throw new Error('redis-server is not running');
    child.kill(name);
  };

  const stop = async () => {
    if (child === undefined) return;
    // A frozen server would never act on SIGTERM.
    child.kill('SIGCONT');
    await stopChild(child, 'SIGTERM', STOP_GRACE_MS);
    child = undefined;
    cancelEmergencyStop();
  };

  const destroy = async () => {
    await stop();
    await rm(directory, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (error) {
    await destroy().catch(() => {});
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    destroy,
  };
}
