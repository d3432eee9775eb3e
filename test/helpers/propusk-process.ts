// Propusk as a separate process (`propusk start` run through tsx), for tests
// that kill a node, restart it, or need two nodes that share nothing in memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { exited, exitWithin, stopAtExit, stopChild, waitUntil, type ExitStatus } from './processes.js';

export interface PropuskNode {
  name: string;
  port: number;
  /** The node's own address, bypassing any load balancer. */
  origin: string;
  child: ChildProcess;
  /** SIGKILL: the node dies at once, as on a crashed machine, with requests and state in flight lost. */
  kill(): Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL if it has not exited after STOP_GRACE_MS. */
  stop(): Promise<ExitStatus>;
  /** The last characters of the node's stdout and stderr, for failure messages. */
  logTail(): Promise<string>;
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
/** A node starts in about 3 s on an idle 2-core machine; the bound allows for a busy one. */
const READY_TIMEOUT_MS = 45_000;
const STOP_GRACE_MS = 10_000;
const COMMAND_TIMEOUT_MS = 60_000;
const LOG_TAIL_CHARS = 4000;

/**
 * Build the child's environment from `env` and only the variables the platform
 * needs, so that a DATABASE_URL or NODE_TEST_CONTEXT of the test process cannot leak in.
 */
function childEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    if (process.env[name] !== undefined) inherited[name] = process.env[name];
  }
  return { ...inherited, ...env };
}

async function readTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '(no log)');
  return text.slice(-LOG_TAIL_CHARS);
}

function spawnCli(args: string[], env: Record<string, string>, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  try {
    return spawn(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, env: childEnvironment(env), stdio: ['ignore', log, log] });
  } finally {
    // The child has its own copy of the descriptor.
    closeSync(log);
  }
}

/** Run a one-shot CLI command (migrate, import) to completion; throw with its output if it fails. */
export async function runPropuskCommand(args: string[], env: Record<string, string>, logFile: string): Promise<void> {
  const child = spawnCli(args, env, logFile);
  const status = (await exitWithin(child, COMMAND_TIMEOUT_MS)) ?? (await stopChild(child, 'SIGKILL', 0));
  if (status.code !== 0) {
    throw new Error(`propusk ${args.join(' ')} exited with ${status.code ?? status.signal}:\n${await readTail(logFile)}`);
  }
}

async function healthy(origin: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Start `propusk start --workers 1` with `env` (which must set PORT) and wait until /healthz returns 200. */
export async function spawnPropusk(name: string, env: Record<string, string>, logFile: string): Promise<PropuskNode> {
  const port = Number(env.PORT);
  const origin = `http://127.0.0.1:${port}`;
  // One process per node, so that SIGKILL ends the whole node and two nodes fit on two cores.
  const child = spawnCli(['start', '--workers', '1'], env, logFile);
  const cancelEmergencyStop = stopAtExit(() => child.kill('SIGKILL'));
  void exited(child).then(cancelEmergencyStop);

  try {
    await waitUntil(`node ${name} returning 200 on ${origin}/healthz`, READY_TIMEOUT_MS, async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`node ${name} exited during start with ${child.exitCode ?? child.signalCode}`);
      }
      return healthy(origin);
    }, 100);
  } catch (error) {
    await stopChild(child, 'SIGKILL', 0);
    throw new Error(`${(error as Error).message}\nlog tail of node ${name}:\n${await readTail(logFile)}`);
  }

  return {
    name,
    port,
    origin,
    child,
    kill: () => stopChild(child, 'SIGKILL', 0),
    stop: () => stopChild(child, 'SIGTERM', STOP_GRACE_MS),
    logTail: () => readTail(logFile),
  };
}
