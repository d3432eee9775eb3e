import { randomBytes } from 'node:crypto';
import type { HashPool } from './hash-pool.js';
import { isBelowCurrentParameters, normalizePassword, type PasswordHasher } from './hash.js';

export interface PooledPasswordHasher extends PasswordHasher {
  /**
   * Make the dummy hash now. The server calls this at start, so that the first
   * login with an unknown identifier costs no more than the others, and so
   * that the pool has measured one job before admission control starts.
   */
  prepare(): Promise<void>;
}

/**
 * PasswordHasher on the worker pool: the same normalisation and the same
 * results as libuvPasswordHasher, with the pool's admission control.
 * verifyAgainstDummy runs through the same pool and the same admission as a
 * real verification, so neither the result nor its timing shows whether the
 * identifier exists.
 */
export function createPooledPasswordHasher(pool: HashPool): PooledPasswordHasher {
  let dummyHash: Promise<string> | undefined;

  function dummy(): Promise<string> {
    if (dummyHash === undefined) {
      // The dummy is made once per process. A failure, such as a worker that died, is not cached.
      const pending = pool.hash(randomBytes(32).toString('base64url'), { admission: 'wait' });
      pending.catch(() => {
        dummyHash = undefined;
      });
      dummyHash = pending;
    }
    return dummyHash;
  }

  return {
    hashPassword: (plain, options) => pool.hash(normalizePassword(plain), options),
    async verifyPassword(storedHash, plain, options) {
      const ok = await pool.verify(storedHash, normalizePassword(plain), options);
      return { ok, needsRehash: ok && isBelowCurrentParameters(storedHash) };
    },
    async verifyAgainstDummy(plain, options) {
      await pool.verify(await dummy(), normalizePassword(plain), options);
      return { ok: false, needsRehash: false };
    },
    checkAdmission: () => pool.checkAdmission(),
    async prepare() {
      await dummy();
    },
  };
}
