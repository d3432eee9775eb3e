// The Redis memory per idle session, from scripts/measure-session-memory.ts
// when that script is in the checkout. This module only runs it and reads its
// number, and the script itself decides how to measure.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT, TSX_ARGS } from './child-process.js';
import type { SessionMemory } from './run-record.js';

const run = promisify(execFile);
const SCRIPT = 'scripts/measure-session-memory.ts';
const TIMEOUT_MS = 180_000;

/**
 * Find the bytes per session in the script's output: a JSON line with a
 * `bytesPerSession` number, or else the first "N bytes per … session" phrase.
 */
export function parseBytesPerSession(output: string): number | undefined {
  for (const line of output.split('\n').reverse()) {
    try {
      const value = (JSON.parse(line) as { bytesPerSession?: unknown }).bytesPerSession;
      if (typeof value === 'number') return value;
    } catch {
      // not a JSON line
    }
  }
  const match = /([\d][\d,.]*)\s*(?:bytes|B)\b[^\n]{0,40}?\bper\b[^\n]{0,20}?session/i.exec(output);
  return match?.[1] === undefined ? undefined : Number(match[1].replace(/,/g, ''));
}

/** Run the script, or return undefined when it does not exist. */
export async function measureSessionMemory(): Promise<SessionMemory | undefined> {
  if (!existsSync(path.join(PROJECT_ROOT, SCRIPT))) return undefined;
  const command = `node --import tsx ${SCRIPT}`;
  try {
    const { stdout, stderr } = await run(process.execPath, [...TSX_ARGS, SCRIPT], { cwd: PROJECT_ROOT, timeout: TIMEOUT_MS });
    const output = `${stdout}${stderr}`.trim();
    return { command, output: output.split('\n').slice(-20).join('\n'), bytesPerSession: parseBytesPerSession(output) };
  } catch (error) {
    const output = error instanceof Error ? error.message : String(error);
    return { command, output: output.split('\n').slice(-20).join('\n') };
  }
}
