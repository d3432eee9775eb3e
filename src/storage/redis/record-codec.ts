import { StorageError } from '../../errors/index.js';
import type { OidcPayload } from '../oidc-adapter.js';

/**
 * Encode a payload as the stored JSON, without what the key already contains.
 * oidc-provider 9 writes the record's id as `jti` and its model as `kind` into
 * every payload, so both are dropped here and put back by decodeRecord. A
 * consumable model keeps `consumed` in the hash field c instead.
 */
export function encodeRecord(id: string, model: string, payload: OidcPayload, consumable: boolean): string {
  const { jti, kind, consumed, ...rest } = payload;
  const stored: Record<string, unknown> = rest;
  if (jti !== id) {
    stored.jti = jti;
  }
  if (kind !== model) {
    stored.kind = kind;
  }
  if (!consumable) {
    stored.consumed = consumed;
  }
  return JSON.stringify(stored);
}

/** Decode a stored record, putting back its `jti`, `kind` and, from the hash field c, `consumed`. */
export function decodeRecord<P>(id: string, model: string, json: string, consumed: string | null | undefined): P {
  let stored: unknown;
  try {
    stored = JSON.parse(json);
  } catch (cause) {
    throw new StorageError(`Redis contains an invalid ${model} record: not JSON`, { cause });
  }
  const payload: Record<string, unknown> = { jti: id, kind: model, ...(stored as Record<string, unknown>) };
  if (consumed !== null && consumed !== undefined) {
    payload.consumed = Number(consumed);
  }
  return payload as P;
}

/** Return the epoch seconds of consumption from a payload's `consumed`, which oidc-provider sets to epoch seconds or true. */
export function consumedSeconds(consumed: unknown, now: number): number | undefined {
  if (typeof consumed === 'number') {
    return Math.floor(consumed);
  }
  return consumed ? Math.floor(now / 1000) : undefined;
}
