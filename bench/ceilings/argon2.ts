// Ceiling 1: argon2id hashes per CPU second at Propusk's parameters, with
// the same library (@node-rs/argon2), in a child process of its own.
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT, TSX_ARGS } from '../child-process.js';

const run = promisify(execFile);
const CHILD = path.join(PROJECT_ROOT, 'bench/ceilings/argon2-child.ts');

export interface Argon2Mode {
  /** "hash() ×4 in flight" or "hashSync". */
  label: string;
  hashes: number;
  cpuSeconds: number;
  wallSeconds: number;
  perCpuSecond: number;
}

export interface Argon2Ceiling {
  modes: Argon2Mode[];
  /** The best per-CPU-second rate of the modes: what a login could reach if hashing were all it did. */
  perCpuSecond: number;
}

async function measureMode(mode: 'async' | 'sync', inFlight: number, seconds: number): Promise<Argon2Mode> {
  const { stdout } = await run(process.execPath, [...TSX_ARGS, CHILD, mode, String(inFlight), String(seconds)], { cwd: PROJECT_ROOT });
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { hashes: number; cpuSeconds: number; wallSeconds: number };
  return {
    label: mode === 'sync' ? 'hashSync on one thread' : `hash() with ${inFlight} in flight (libuv pool)`,
    ...result,
    perCpuSecond: result.hashes / result.cpuSeconds,
  };
}

/**
 * Measure the async API with one hash in flight per core and twice that
 * (the server's path), and hashSync (the cheapest per hash, which a worker
 * thread pool could use).
 */
export async function measureArgon2Ceiling(seconds: number): Promise<Argon2Ceiling> {
  const cores = os.availableParallelism();
  const modes = [
    await measureMode('async', cores, seconds),
    await measureMode('async', cores * 2, seconds),
    await measureMode('sync', 1, seconds),
  ];
  return { modes, perCpuSecond: Math.max(...modes.map((mode) => mode.perCpuSecond)) };
}
