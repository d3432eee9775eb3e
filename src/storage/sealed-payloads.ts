import { StorageError } from '../errors/index.js';
import type { OidcAdapter, OidcPayload } from './oidc-adapter.js';

/*
 * Encryption of the request data that oidc-provider 9 keeps in its stored
 * records. A service may send a phone, an e-mail or a СНИЛС as login_hint,
 * and the provider copies the request into the record of the pending
 * interaction for up to its lifetime. The wrapper seals those fields on the
 * way into any adapter (SQL or Redis) and opens them on the way out, so the
 * backend stores them only encrypted.
 */

/** Key purpose of the sealed fields; `src/keys/sealer.ts` derives a separate key for it. */
export const PAYLOAD_SEAL_PURPOSE = 'oidc-payloads';

/** The part of `src/keys/sealer.ts` that sealing needs: AES-256-GCM under the key of one purpose. */
export interface PayloadSealer {
  seal(purpose: typeof PAYLOAD_SEAL_PURPOSE, plaintext: string): string;
  open(purpose: typeof PAYLOAD_SEAL_PURPOSE, sealed: string): string;
}

/**
 * Fields of oidc-provider 9 models (lib/models/*.js, IN_PAYLOAD) that copy
 * request input. `params` contains the whole authorization request (login_hint,
 * id_token_hint with the person's claims, claims), `prompt.details` repeats
 * login_hint, a pushed request keeps the request as `request`, and a device
 * code keeps the device's IP address and user agent as `deviceInfo`.
 * The other models hold only ids, scopes, times and hashes: Session,
 * Grant, AuthorizationCode and the tokens name the person by Propusk's
 * internal id. They stay readable, because src/logout reads Session records
 * in SQL.
 */
export const SEALED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Interaction: ['params', 'prompt'],
  PushedAuthorizationRequest: ['request'],
  DeviceCode: ['params', 'deviceInfo'],
  BackchannelAuthenticationRequest: ['params'],
};

/** Payload key of the sealed fields. No oidc-provider 9 model has a field of this name. */
const SEALED_KEY = 'propuskSealed';

/**
 * The plaintext of a sealed value. It names the model and the record, so a
 * sealed value copied into another record does not open there.
 */
interface SealedFields {
  model: string;
  id: string;
  fields: Record<string, unknown>;
}

/**
 * Wrap an oidc-provider adapter of one model so that the model's
 * SEALED_FIELDS are stored sealed. Other models get the adapter back as it
 * is. Records saved before the wrapper existed have no sealed value and are
 * returned as stored.
 */
export function sealRequestFields(adapter: OidcAdapter<OidcPayload>, model: string, sealer: PayloadSealer): OidcAdapter<OidcPayload> {
  const names = SEALED_FIELDS[model];
  if (names === undefined) {
    return adapter;
  }

  const seal = (id: string, payload: OidcPayload): OidcPayload => {
    const stored: OidcPayload = {};
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(payload)) {
      if (names.includes(key)) {
        fields[key] = value;
      } else {
        stored[key] = value;
      }
    }
    if (Object.keys(fields).length > 0) {
      const plaintext: SealedFields = { model, id, fields };
      stored[SEALED_KEY] = sealer.seal(PAYLOAD_SEAL_PURPOSE, JSON.stringify(plaintext));
    }
    return stored;
  };

  const open = (payload: OidcPayload | undefined, expectedId: unknown): OidcPayload | undefined => {
    const sealed = payload?.[SEALED_KEY];
    if (payload === undefined || sealed === undefined) {
      return payload;
    }
    const content = readSealedFields(sealer, sealed, model);
    if (content.model !== model || content.id !== expectedId) {
      throw new StorageError(`The sealed fields of a stored ${model} record belong to another record, so the stored data was altered`);
    }
    const opened: OidcPayload = { ...payload, ...content.fields };
    delete opened[SEALED_KEY];
    return opened;
  };

  return {
    upsert: (id, payload, expiresIn) => adapter.upsert(id, seal(id, payload), expiresIn),
    find: async (id) => open(await adapter.find(id), id),
    findByUid: async (uid) => {
      const payload = await adapter.findByUid(uid);
      return open(payload, payload?.jti);
    },
    findByUserCode: async (userCode) => {
      const payload = await adapter.findByUserCode(userCode);
      return open(payload, payload?.jti);
    },
    consume: (id) => adapter.consume(id),
    destroy: (id) => adapter.destroy(id),
    revokeByGrantId: (grantId) => adapter.revokeByGrantId(grantId),
  };
}

/** Open a sealed value and check its shape. The sealer throws StorageError when the value does not decrypt. */
function readSealedFields(sealer: PayloadSealer, sealed: unknown, model: string): SealedFields {
  if (typeof sealed !== 'string') {
    throw new StorageError(`The sealed fields of a stored ${model} record are not a string`);
  }
  const content = JSON.parse(sealer.open(PAYLOAD_SEAL_PURPOSE, sealed)) as Partial<SealedFields> | null;
  if (typeof content?.model !== 'string' || typeof content.id !== 'string' || typeof content.fields !== 'object' || content.fields === null) {
    throw new StorageError(`The sealed fields of a stored ${model} record have an unknown format`);
  }
  return { model: content.model, id: content.id, fields: content.fields };
}
