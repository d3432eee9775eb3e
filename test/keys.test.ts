import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { decodeProtectedHeader, jwtVerify, createLocalJWKSet } from 'jose';
import { loadKeys, rotateKeys } from '../src/keys/keystore.js';
import { resolveMasterKey } from '../src/keys/master-key.js';
import { createSealer } from '../src/keys/sealer.js';
import { openDatabase } from '../src/storage/database.js';
import { client, passwordLogin, relyingParty } from './helpers/oidc-flow.js';
import { startPropusk } from './helpers/propusk-server.js';

describe('sealing', () => {
  test('round trip, and a purpose cannot open another purpose', () => {
    const sealer = createSealer(Buffer.alloc(32, 7));
    const sealed = sealer.seal('client-secrets', 'top secret');
    assert.ok(!sealed.includes('top secret'));
    assert.equal(sealer.open('client-secrets', sealed), 'top secret');
    assert.throws(() => sealer.open('signing-keys', sealed), /differs from the one that encrypted it/);
  });

  test('another master key cannot open it', () => {
    const sealed = createSealer(Buffer.alloc(32, 1)).seal('signing-keys', 'x');
    assert.throws(() => createSealer(Buffer.alloc(32, 2)).open('signing-keys', sealed), /differs from the one that encrypted it/);
  });
});

describe('master key', () => {
  test('generated once into the data directory with mode 0600', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'propusk-key-'));
    try {
      const first = await resolveMasterKey(undefined, dir);
      const second = await resolveMasterKey(undefined, dir);
      assert.equal(first.generated, true);
      assert.equal(second.generated, false);
      assert.ok(first.key.equals(second.key));
      assert.equal((await stat(path.join(dir, 'master.key'))).mode & 0o777, 0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a configured key of the wrong size is refused', async () => {
    await assert.rejects(resolveMasterKey(Buffer.alloc(16).toString('base64'), '/nonexistent'), /32 bytes/);
  });
});

describe('keys rotate', () => {
  test('tokens issued before a rotation keep working; new ones use the new key', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'propusk-rotate-'));
    try {
      const before = await startPropusk({ dataDir });
      const rp = await relyingParty(before.issuer, 'dnevnik');
      const { tokens } = await passwordLogin(before.issuer, rp, '+79160000001');
      const oldKid = decodeProtectedHeader(tokens.id_token as string).kid;
      const stored = await before.runtime.store.db.selectFrom('keys').select('material_encrypted').execute();
      assert.ok(stored.every((row) => !row.material_encrypted.includes('"d"')), 'private keys are stored encrypted');
      await before.stop();

      const store = await openDatabase({ dataDir });
      const sealer = createSealer((await resolveMasterKey(undefined, dataDir)).key);
      const result = await store.db.transaction().execute((trx) => rotateKeys(trx, sealer));
      assert.equal(result.retired.length, 3);
      const keys = await loadKeys(store.db, sealer);
      assert.notEqual(keys.jwks[0]?.kid, oldKid);
      assert.equal(keys.jwks[0]?.alg, 'RS256');
      await store.close();

      const after = await startPropusk({ dataDir, port: Number(new URL(before.issuer).port) });
      try {
        const jwks = (await (await fetch(`${after.issuer}/oidc/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> };
        assert.ok(jwks.keys.some((key) => key.kid === oldKid), 'the old key stays published');
        assert.ok(jwks.keys.every((key) => key.d === undefined), 'no private part is published');
        await jwtVerify(tokens.id_token as string, createLocalJWKSet(jwks as never), { issuer: after.issuer, audience: 'dnevnik' });

        const rp2 = await relyingParty(after.issuer, 'dnevnik');
        const refreshed = await client.refreshTokenGrant(rp2.config, tokens.refresh_token as string);
        assert.notEqual(decodeProtectedHeader(refreshed.id_token as string).kid, oldKid);
      } finally {
        await after.stop();
      }

      const thirdStore = await openDatabase({ dataDir });
      for (let i = 0; i < 3; i += 1) {
        await thirdStore.db.transaction().execute((trx) => rotateKeys(trx, sealer));
      }
      const remaining = await thirdStore.db.selectFrom('keys').select(['use', 'alg']).execute();
      assert.equal(remaining.length, 9, 'the current and two previous generations of three keys are kept');
      await thirdStore.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
