/*
 * Key layout of oidc-provider records in Redis, under one prefix (such as
 * `propusk:oidc:`). Keys are short because every key costs memory once per
 * record, and Redis keeps a record per signed-in browser:
 *
 *   <tag>:<id>      a record: a JSON string, or a hash {p: JSON, c: consumed
 *                   epoch seconds} for the models that can be consumed
 *   uid:<uid>       session uid -> session id
 *   uc:<tag>:<code> device flow user code -> device code id
 *   gi:<grantId>    sorted set of "<tag>:<id>" of the records bound to a
 *                   grant, scored by their expiry (epoch ms)
 *   exp             sorted set of session ids, scored by expiry (epoch ms)
 */

/** Tags of the models oidc-provider 9 stores through an adapter. Another model uses its own name. */
const MODEL_TAGS: Readonly<Record<string, string>> = {
  Session: 's',
  Interaction: 'i',
  AuthorizationCode: 'c',
  AccessToken: 'a',
  ClientCredentials: 'cc',
  ReplayDetection: 'rd',
  PushedAuthorizationRequest: 'par',
  DeviceCode: 'dc',
  BackchannelAuthenticationRequest: 'ba',
  Grant: 'g',
  RefreshToken: 'r',
};

/** Models whose records oidc-provider consumes (marks used) once; they are stored as hashes. */
export const CONSUMABLE_MODELS: ReadonlySet<string> = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'PreAuthorizedCode',
]);

export const SESSION_MODEL = 'Session';

export interface ModelKeys {
  /** Key of a record of this model. */
  record(id: string): string;
  /** The record's member in a grant index: the record key without the prefix. */
  grantMember(id: string): string;
  /** Key of the user code index of this model. */
  userCode(code: string): string;
}

export interface KeyLayout {
  prefix: string;
  model(name: string): ModelKeys;
  sessionUid(uid: string): string;
  grantIndex(grantId: string): string;
  sessionExpiry: string;
}

export function keyLayout(prefix: string): KeyLayout {
  return {
    prefix,
    model(name) {
      const tag = MODEL_TAGS[name] ?? name;
      return {
        record: (id) => `${prefix}${tag}:${id}`,
        grantMember: (id) => `${tag}:${id}`,
        userCode: (code) => `${prefix}uc:${tag}:${code}`,
      };
    },
    sessionUid: (uid) => `${prefix}uid:${uid}`,
    grantIndex: (grantId) => `${prefix}gi:${grantId}`,
    sessionExpiry: `${prefix}exp`,
  };
}
