/** Replacement text for a secret value in a log line. */
export const REDACTION_CENSOR = '[redacted]';

/**
 * Keys whose values never reach a log line, at the top level of a logged
 * object or one level below it (`{ password }`, `{ body: { password } }`).
 * Personal identifiers are masked by the code that logs them.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'secret', 'clientSecret', 'client_secret', 'token', 'code', 'snils']);

/** Headers that carry credentials, under `req.headers` and `res.headers`. */
const SECRET_HEADERS: Readonly<Record<string, ReadonlySet<string>>> = {
  req: new Set(['authorization', 'cookie']),
  res: new Set(['set-cookie']),
};

type LogObject = Record<string, unknown>;

function isObject(value: unknown): value is LogObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Return `object` with its secrets replaced by the censor, copying only what
 * changes: the caller's object is never modified. An Error keeps its `code`,
 * such as ECONNREFUSED. An Error with a secret is copied with its class,
 * message and stack, so the log's error serializer still reads it.
 */
export function redactSecrets(object: LogObject): LogObject {
  let copy: LogObject | undefined;
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
    const value = object[key];
    let replacement: unknown = value;
    if (SECRET_KEYS.has(key)) {
      replacement = REDACTION_CENSOR;
    } else if (isObject(value)) {
      replacement = redactNested(value, SECRET_HEADERS[key]);
    }
    if (replacement !== value) {
      copy ??= { ...object };
      copy[key] = replacement;
    }
  }
  return copy ?? object;
}

/**
 * Redact one argument of a log call: the merging object, an Error logged in
 * its place, or an object interpolated into the message (`%o`, `%j`).
 * Strings and numbers are returned unchanged.
 */
export function redactLogArgument(value: unknown): unknown {
  if (value instanceof Error) {
    return redactNested(value as unknown as LogObject, undefined);
  }
  return isObject(value) ? redactSecrets(value) : value;
}

/** Censor secrets one level below the top: secret keys, and for `req` and `res` the credential headers. */
function redactNested(value: LogObject, secretHeaders: ReadonlySet<string> | undefined): LogObject {
  const isError = value instanceof Error;
  let copy: LogObject | undefined;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const inner = value[key];
    let replacement: unknown = inner;
    if (SECRET_KEYS.has(key) && !(isError && key === 'code')) {
      replacement = REDACTION_CENSOR;
    } else if (key === 'headers' && secretHeaders !== undefined && isObject(inner)) {
      replacement = censorKeys(inner, secretHeaders);
    }
    if (replacement !== inner) {
      copy ??= isError ? copyError(value as LogObject & Error) : { ...value };
      copy[key] = replacement;
    }
  }
  return copy ?? value;
}

/**
 * Copy an Error with its prototype and own properties. Values are read, not
 * descriptors copied: in Node 24 `stack` is an accessor that works only on
 * the error that V8 captured it for.
 */
function copyError(error: LogObject & Error): LogObject {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as LogObject;
  for (const key of Reflect.ownKeys(error)) {
    const enumerable = Object.getOwnPropertyDescriptor(error, key)?.enumerable ?? false;
    Object.defineProperty(copy, key, { value: (error as unknown as Record<PropertyKey, unknown>)[key], enumerable, writable: true, configurable: true });
  }
  return copy;
}

function censorKeys(value: LogObject, keys: ReadonlySet<string>): LogObject {
  let copy: LogObject | undefined;
  for (const key of keys) {
    if (Object.prototype.hasOwnProperty.call(value, key)) {
      copy ??= { ...value };
      copy[key] = REDACTION_CENSOR;
    }
  }
  return copy ?? value;
}
