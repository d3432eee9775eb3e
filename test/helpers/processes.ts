// Child processes that a test file starts (redis-server, PostgreSQL, Propusk
// nodes): bounded waits for their exit, and a last-resort stop when the test
// process exits without running its after() hooks.
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const emergencyStops = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Register a synchronous stop that runs if the process exits while the
 * service still runs. Returns the function that unregisters it, for a normal stop.
 */
export function stopAtExit(stop: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const emergencyStop of emergencyStops) {
        try {
          emergencyStop();
        } catch {
          // The process is exiting; one failed stop must not keep the others from running.
        }
      }
    });
  }
  emergencyStops.add(stop);
  return () => emergencyStops.delete(stop);
}

/** Resolve with the exit status once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Wait at most `timeoutMs` for the child to exit; undefined if it is still running. */
export async function exitWithin(child: ChildProcess, timeoutMs: number): Promise<ExitStatus | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([exited(child), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Send `signal`, and SIGKILL if the child has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return { code: child.exitCode, signal: child.signalCode };
  }
  child.kill(signal);
  const status = await exitWithin(child, graceMs);
  if (status !== undefined) return status;
  child.kill('SIGKILL');
  return exited(child);
}

/** Poll `probe` every `intervalMs` until it returns true; throw after `timeoutMs` naming `what`. */
export async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** PIDs of the direct children of `parent`, read from /proc (Linux only). */
export async function childPids(parent: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which sits in parentheses and may contain spaces: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) children.push(Number(entry));
  }
  return children;
}
