import { ConflictError, StorageError } from '../errors/index.js';
import type { IdentifierKind } from './types.js';

/**
 * An identifier (phone, e-mail or СНИЛС) already belongs to another person.
 * The constructor takes only the kind, so the value cannot reach logs or pages through this error.
 */
export class IdentifierConflictError extends ConflictError {
  readonly kind: IdentifierKind;

  constructor(kind: IdentifierKind) {
    super(`An identifier of kind "${kind}" already belongs to another person`, {
      messageKey: 'error.identifier_taken',
      params: { kind },
    });
    this.kind = kind;
  }
}

/**
 * A single-use oidc-provider record (authorization code, refresh token…) was
 * consumed already, or is gone. Carries the model only: the record id is
 * the token value itself.
 */
export class AlreadyConsumedError extends StorageError {
  readonly model: string;

  constructor(model: string) {
    super(`${model} was already consumed or does not exist`);
    this.model = model;
  }
}
