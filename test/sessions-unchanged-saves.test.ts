// The memory that lets a session save be skipped when the request changed nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createUnchangedSaves } from '../src/sessions/unchanged-saves.js';
import type { OidcPayload } from '../src/storage/oidc-adapter.js';

const stored = (): OidcPayload =>
  ({
    iat: 1_796_435_292,
    exp: 1_796_464_092,
    uid: 'uid-1',
    accountId: 'person-1',
    loginTs: 1_796_435_292,
    amr: ['pwd'],
    authorizations: { 'bench-web': { sid: 'sid-1', grantId: 'grant-1' } },
  }) as unknown as OidcPayload;

describe('unchanged session saves', () => {
  // The Redis store returns jti and kind with a lookup, and oidc-provider's save leaves them out.
  test('lookup with jti and kind matches', () => {
    const saves = createUnchangedSaves();
    saves.remember('session-1', { ...stored(), jti: 'session-1', kind: 'Session' } as OidcPayload, 1000);
    assert.equal(saves.isUnchanged('session-1', stored(), 1001), true);
  });

  test('a changed payload is saved', () => {
    const saves = createUnchangedSaves();
    saves.remember('session-1', stored(), 1000);
    const changed = { ...stored(), authorizations: { 'bench-web': { sid: 'sid-1', grantId: 'grant-2' } } } as unknown as OidcPayload;
    assert.equal(saves.isUnchanged('session-1', changed, 1001), false);
  });

  test('each lookup allows one skip, and an old lookup none', () => {
    const saves = createUnchangedSaves();
    saves.remember('session-1', stored(), 1000);
    assert.equal(saves.isUnchanged('session-1', stored(), 1001), true);
    assert.equal(saves.isUnchanged('session-1', stored(), 1002), false, 'the lookup was used up');
    saves.remember('session-1', stored(), 1000);
    assert.equal(saves.isUnchanged('session-1', stored(), 1000 + 60_000), false, 'a lookup older than any request');
  });

  test('a destroyed session forgets its lookup', () => {
    const saves = createUnchangedSaves();
    saves.remember('session-1', stored(), 1000);
    saves.forget('session-1');
    assert.equal(saves.isUnchanged('session-1', stored(), 1001), false);
  });
});
