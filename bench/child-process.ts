// Child processes of the benchmark: servers whose CPU time is measured apart
// from the load generator's, with their output in a log file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export const PROJECT_ROOT = new URL('..', import.meta.url).pathname;

/** Node with tsx, as `npm start` runs the server. */
export const TSX_ARGS = ['--import', 'tsx'];

export interface ChildServer {
  pid: number;
  process: ChildProcess;
  logFile: string;
  /** Send SIGTERM, then SIGKILL after `graceSeconds`. Resolves when the process has exited. */
  stop(graceSeconds?: number): Promise<void>;
  exited(): boolean;
}

/** Return the last lines of a log file, for error messages. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Start `node args…` in the project directory with stdout and stderr appended to `logFile`. */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildServer {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) {
    throw new Error(`could not start node ${args.join(' ')}`);
  }
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));

  return {
    pid: child.pid,
    process: child,
    logFile,
    exited: () => exited,
    async stop(graceSeconds = 15) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Run a command to completion. Rejects with its log when the exit code is not 0. */
export async function runNode(args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const child = spawnNode(args, env, logFile);
  const code = await new Promise<number | null>((resolve) => child.process.once('exit', (status) => resolve(status)));
  if (code !== 0) {
    throw new Error(`node ${args.join(' ')} exited with ${String(code)}:\n${logTail(logFile)}`);
  }
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Poll `url` until it returns 200. Fails when the server exits first or `timeoutSeconds` pass. */
export async function waitUntilReady(server: ChildServer, url: string, timeoutSeconds = 60): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    if (server.exited()) {
      throw new Error(`the server exited during start:\n${logTail(server.logFile)}`);
    }
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await server.stop();
  throw new Error(`the server did not return 200 for ${url} within ${timeoutSeconds} s:\n${logTail(server.logFile)}`);
}
