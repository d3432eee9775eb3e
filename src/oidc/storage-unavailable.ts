import type Provider from 'oidc-provider';
import { errors, type Adapter, type KoaContextWithOIDC } from 'oidc-provider';
import { TemporarilyUnavailableError } from '../errors/index.js';
import { ROUTES } from './scopes.js';

/*
 * Requests to oidc-provider while a store it needs (Redis) is down get a 503
 * with Retry-After: a page for a browser, the OAuth error
 * `temporarily_unavailable` for a service. None of them hangs, and none is
 * redirected to the service with the error.
 */

type RenderError = (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: unknown) => Promise<void>;

/**
 * Build the oidc-provider error for a Propusk TemporarilyUnavailableError. It
 * keeps the Propusk error as its cause, so that Propusk's own routes, which
 * call into the provider, can respond with the Propusk error (see
 * unwrapUnavailable).
 */
function providerUnavailable(cause: TemporarilyUnavailableError): errors.TemporarilyUnavailable {
  const error = new errors.TemporarilyUnavailable(`retry after ${cause.retryAfterSeconds} seconds`, { cause });
  error.status = 503;
  error.statusCode = 503;
  // The service cannot fix a store outage, and the person can simply reload this page.
  error.allow_redirect = false;
  return error;
}

/** Return the TemporarilyUnavailableError itself or inside an error that oidc-provider raised for it, else undefined. */
export function unwrapUnavailable(error: unknown): TemporarilyUnavailableError | undefined {
  if (error instanceof TemporarilyUnavailableError) {
    return error;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof TemporarilyUnavailableError ? cause : undefined;
}

/** Wrap every method of an adapter so that an unavailable store reaches oidc-provider as its own 503 error. */
export function translateUnavailable(adapter: Adapter): Adapter {
  const translated = {} as Record<string, unknown>;
  for (const method of ['upsert', 'find', 'findByUserCode', 'findByUid', 'consume', 'destroy', 'revokeByGrantId'] as const) {
    const call = adapter[method].bind(adapter) as (...args: unknown[]) => Promise<unknown>;
    translated[method] = async (...args: unknown[]) => {
      try {
        return await call(...args);
      } catch (error) {
        throw error instanceof TemporarilyUnavailableError ? providerUnavailable(error) : error;
      }
    };
  }
  return translated as unknown as Adapter;
}

export interface StorageGateDeps {
  /** False while the store is known to be down (the Redis connection is not ready). */
  available: () => boolean;
  retryAfterSeconds: number;
  renderError: RenderError;
}

/** Discovery and the signing keys come from memory, so they keep working while the store is down. */
function needsStorage(path: string): boolean {
  return path !== ROUTES.jwks && !path.startsWith('/.well-known/');
}

/**
 * Respond with 503 before oidc-provider starts a request while the store is
 * known to be down, so that such a request cannot stop halfway. An example is
 * a refresh grant that consumed its refresh token in the database, then lost
 * the new access token with Redis. NOTE: a request already running when Redis goes
 * down can still stop halfway. Also respond with 503 for an unavailable store
 * raised by middleware outside the provider's own error handling (the client
 * authentication throttle), and add Retry-After to every 503. Install it
 * before any other `provider.use` middleware.
 */
export function installStorageGate(provider: Provider, deps: StorageGateDeps): void {
  const respond = async (ctx: KoaContextWithOIDC, error: TemporarilyUnavailableError) => {
    ctx.status = 503;
    ctx.set('Retry-After', String(error.retryAfterSeconds));
    ctx.set('Cache-Control', 'no-store');
    const out = { error: 'temporarily_unavailable', error_description: `retry after ${error.retryAfterSeconds} seconds` };
    if (ctx.accepts('json', 'html') === 'html') {
      await deps.renderError(ctx, out, error);
    } else {
      ctx.body = out;
    }
  };

  provider.use(async (ctx, next) => {
    const oidcCtx = ctx as KoaContextWithOIDC;
    if (needsStorage(ctx.path) && !deps.available()) {
      await respond(oidcCtx, new TemporarilyUnavailableError('Redis connection is down', deps.retryAfterSeconds));
      return;
    }
    try {
      await next();
    } catch (error) {
      const unavailable = unwrapUnavailable(error);
      if (unavailable === undefined) {
        throw error;
      }
      await respond(oidcCtx, unavailable);
      return;
    }
    if (ctx.status === 503 && !ctx.response.get('Retry-After')) {
      ctx.set('Retry-After', String(deps.retryAfterSeconds));
    }
  });
}
