import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors/index.js';

const MASTER_KEY_BYTES = 32;
export const MASTER_KEY_FILE = 'master.key';

function decode(base64: string, origin: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== MASTER_KEY_BYTES) {
    throw new ConfigError(`${origin}: the master key must be ${MASTER_KEY_BYTES} bytes in base64, got ${key.length} bytes`);
  }
  return key;
}

/**
 * Return the operator's master key, or in the embedded default read it from
 * (or generate it into) the data directory with mode 0600. A generated key
 * suits one node only: several nodes must be given the same PROPUSK_MASTER_KEY.
 */
export async function resolveMasterKey(configured: string | undefined, dataDir: string): Promise<{ key: Buffer; generated: boolean }> {
  if (configured !== undefined) {
    return { key: decode(configured, 'PROPUSK_MASTER_KEY'), generated: false };
  }

  const file = path.join(dataDir, MASTER_KEY_FILE);
  try {
    return { key: decode(await readFile(file, 'utf8'), file), generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(MASTER_KEY_BYTES);
  // 'wx' fails if another process created the file first; then read theirs.
  try {
    await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return { key: decode(await readFile(file, 'utf8'), file), generated: false };
    }
    throw error;
  }
  return { key, generated: true };
}
