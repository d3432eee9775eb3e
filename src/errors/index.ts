/**
 * The one error hierarchy of Propusk. Each error carries a stable code, the
 * HTTP status it maps to, and whether its message may be shown to the
 * person. Messages for people come from the i18n catalogues by `messageKey`;
 * `message` is the operator-facing English text that goes to the log.
 */
export type ErrorCode =
  | 'config_invalid'
  | 'input_invalid'
  | 'not_found'
  | 'conflict'
  | 'credentials_invalid'
  | 'csrf_invalid'
  | 'interaction_expired'
  | 'service_unavailable_for_roles'
  | 'import_invalid'
  | 'storage_failed'
  | 'overloaded'
  | 'temporarily_unavailable'
  | 'internal';

export interface PropuskErrorOptions {
  cause?: unknown;
  messageKey?: string;
  params?: Record<string, string | number>;
}

export class PropuskError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** True when the catalogue message may be rendered to the person. */
  readonly expose: boolean;
  readonly messageKey: string | undefined;
  readonly params: Record<string, string | number>;

  constructor(code: ErrorCode, status: number, expose: boolean, message: string, options: PropuskErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = expose;
    this.messageKey = options.messageKey;
    this.params = options.params ?? {};
  }
}

export class ConfigError extends PropuskError {
  constructor(message: string, options?: PropuskErrorOptions) {
    super('config_invalid', 500, false, message, options);
  }
}

export class InputError extends PropuskError {
  constructor(message: string, options?: PropuskErrorOptions) {
    super('input_invalid', 400, true, message, options);
  }
}

export class NotFoundError extends PropuskError {
  constructor(message: string, options?: PropuskErrorOptions) {
    super('not_found', 404, true, message, options);
  }
}

export class ConflictError extends PropuskError {
  constructor(message: string, options?: PropuskErrorOptions) {
    super('conflict', 409, true, message, options);
  }
}

export class CsrfError extends PropuskError {
  constructor(options?: PropuskErrorOptions) {
    super('csrf_invalid', 403, true, 'CSRF token missing or invalid', { messageKey: 'error.csrf', ...options });
  }
}

export class InteractionExpiredError extends PropuskError {
  constructor(options?: PropuskErrorOptions) {
    super('interaction_expired', 400, true, 'Login interaction not found or expired', {
      messageKey: 'error.interaction_expired',
      ...options,
    });
  }
}

export class ImportError extends PropuskError {
  /** Each problem names the record's position in the file and the reason. */
  readonly problems: string[];

  constructor(problems: string[], options?: PropuskErrorOptions) {
    super('import_invalid', 400, false, `Import rejected, nothing was written:\n  ${problems.join('\n  ')}`, options);
    this.problems = problems;
  }
}

export class StorageError extends PropuskError {
  constructor(message: string, options?: PropuskErrorOptions) {
    super('storage_failed', 500, false, message, options);
  }
}

/**
 * The server has more password checks queued than it can start within the
 * configured wait, so it rejects this one at once instead of letting it hang.
 */
export class OverloadedError extends PropuskError {
  /** Seconds until a retry is expected to be admitted: the expected wait rounded up, at least 1. */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, options?: PropuskErrorOptions) {
    super('overloaded', 503, true, `Password check rejected: the hash queue is full; retry after ${retryAfterSeconds} s`, {
      messageKey: 'error.overloaded',
      ...options,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A store that a request needs (Redis) cannot be reached or did not reply in
 * time. The request fails at once with 503 instead of hanging, and a retry
 * after `retryAfterSeconds` is expected to work once the store is back.
 */
export class TemporarilyUnavailableError extends PropuskError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: PropuskErrorOptions) {
    super('temporarily_unavailable', 503, true, message, { messageKey: 'error.temporarily_unavailable', ...options });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
