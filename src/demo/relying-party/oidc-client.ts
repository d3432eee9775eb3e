import * as client from 'openid-client';
import type { Logger } from 'pino';

export interface OidcClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface DiscoveryRetry {
  attempts: number;
  /** Delay before the second attempt. Each later attempt waits this much longer. */
  delayMs: number;
}

// Propusk may start a moment after the demo relying party, so each
// discovery retries for roughly five seconds before it reports failure.
const DEFAULT_RETRY: DiscoveryRetry = { attempts: 5, delayMs: 500 };

/** Raised when discovery keeps failing, so pages can show that Propusk is unavailable. */
export class ProviderUnavailableError extends Error {
  constructor(issuer: string, options: { cause: unknown }) {
    super(`OpenID Provider discovery failed for issuer ${issuer}`, options);
    this.name = 'ProviderUnavailableError';
  }
}

/**
 * Caches one openid-client Configuration per client id. Discovery runs on the
 * first request that needs it. A failed discovery is dropped from the cache,
 * so the next request tries again.
 */
export class ClientConfigCache {
  readonly #configs = new Map<string, Promise<client.Configuration>>();
  readonly #issuer: URL;
  readonly #logger: Logger;
  readonly #retry: DiscoveryRetry;

  constructor(issuer: string, logger: Logger, retry: DiscoveryRetry = DEFAULT_RETRY) {
    this.#issuer = new URL(issuer);
    this.#logger = logger;
    this.#retry = retry;
  }

  get(credentials: OidcClientCredentials): Promise<client.Configuration> {
    const cached = this.#configs.get(credentials.clientId);
    if (cached !== undefined) return cached;

    const pending = this.#discoverWithRetry(credentials);
    this.#configs.set(credentials.clientId, pending);
    pending.catch(() => this.#configs.delete(credentials.clientId));
    return pending;
  }

  async #discoverWithRetry(credentials: OidcClientCredentials): Promise<client.Configuration> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#retry.attempts; attempt += 1) {
      try {
        const config = await this.#discover(credentials);
        this.#logger.info({ clientId: credentials.clientId, issuer: this.#issuer.href }, 'OIDC discovery succeeded');
        return config;
      } catch (error) {
        lastError = error;
        this.#logger.warn(
          { err: error, clientId: credentials.clientId, attempt, attempts: this.#retry.attempts },
          'OIDC discovery failed',
        );
        if (attempt < this.#retry.attempts) await sleep(this.#retry.delayMs * attempt);
      }
    }
    throw new ProviderUnavailableError(this.#issuer.href, { cause: lastError });
  }

  #discover(credentials: OidcClientCredentials): Promise<client.Configuration> {
    // Propusk registers these clients as client_secret_basic, while a plain
    // secret string would make openid-client 6 use client_secret_post.
    const auth = client.ClientSecretBasic(credentials.clientSecret);
    // openid-client 6 rejects plain-http issuers unless allowInsecureRequests
    // is set, and local demo runs use http://localhost.
    const options = this.#issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
    return client.discovery(this.#issuer, credentials.clientId, undefined, auth, options);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
