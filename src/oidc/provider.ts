import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import Provider, { errors, type Adapter, type AdapterFactory, type AdapterPayload, type Configuration } from 'oidc-provider';
import type { AuditLog } from '../audit/events.js';
import type { Config } from '../config/load.js';
import type { AdapterTimer } from '../metrics/index.js';
import type { LoadedKeys } from '../keys/keystore.js';
import type { Store } from '../storage/database.js';
import { AlreadyConsumedError } from '../storage/errors.js';
import { revokeGrantRecords } from '../storage/revoke-grant.js';
import type { IdentifierCipher } from '../storage/identifier-cipher.js';
import type { OidcStorage } from '../storage/redis/oidc-storage.js';
import { REDIS_RETRY_AFTER_SECONDS } from '../redis/errors.js';
import { sealRequestFields, type PayloadSealer } from '../storage/sealed-payloads.js';
import type { SessionAdapterGuard } from '../sessions/session-adapter.js';
import type { Throttle } from '../throttling/index.js';
import { createFindAccount } from './accounts.js';
import { listenForAuditEvents } from './audit-listeners.js';
import { installClientAuthThrottle } from './client-auth-throttle.js';
import type { ClientDirectory } from './clients.js';
import { buildConfiguration } from './configuration.js';
import { noteTokenGrant, readGrantRolesAlong, SESSION_BOUND_TOKEN_MODELS } from './grant-roles-read.js';
import { installFormActionPolicy } from './form-action.js';
import { createAnonymousLogoutPage, createNotFoundPage, createRenderError } from './pages.js';
import { createPolicy } from './policy.js';
import type { RequestFacts } from './request-facts.js';
import { installStorageGate, translateUnavailable } from './storage-unavailable.js';

export interface ProviderParts {
  config: Config;
  store: Store;
  keys: LoadedKeys;
  clients: ClientDirectory;
  logger: Logger;
  audit: AuditLog;
  /** Wraps the Session model's storage so that the server enforces session lifetimes (src/sessions). */
  guardSessions: SessionAdapterGuard;
  /** The facts that guardSessions and the Grant lookup read in the current request, for findAccount and the claims. */
  requestFacts: RequestFacts;
  /** Decrypts the e-mail and phone for the claims. */
  identifiers: IdentifierCipher;
  /** Failed-attempt delays for client secrets, codes and refresh tokens. */
  throttle: Throttle;
  /** Seals the request data (login_hint among it) in stored interactions and pushed requests. */
  sealer: PayloadSealer;
  /** Times every storage call for /metrics. */
  timeAdapter?: AdapterTimer;
  /** The stores of the records: the database, or Redis for the short-lived models when REDIS_URL is set. */
  oidcStorage: OidcStorage;
}

/** Wrap each model's adapter with the metrics timer, when there is one. */
function timed(factory: AdapterFactory, timeAdapter: AdapterTimer | undefined): AdapterFactory {
  return timeAdapter === undefined ? factory : (name) => timeAdapter(name, factory(name));
}

/** Models whose reuse revokes the grant they came from. */
const REUSE_REVOKES_GRANT: ReadonlySet<string> = new Set(['AuthorizationCode', 'RefreshToken']);

/** Revoke the grant of a code or refresh token that lost a consume race, and log a warning. */
async function revokeReusedGrant(parts: ProviderParts, model: string, record: AdapterPayload | undefined): Promise<void> {
  const grantId = record?.grantId;
  if (typeof grantId !== 'string') return;
  await revokeGrantRecords(parts.oidcStorage.adapterFor('Grant'), parts.store.db, grantId);
  parts.logger.warn({ model, grantId, clientId: record?.clientId }, 'code or refresh token used twice at once: grant revoked');
}

/** Storage for oidc-provider: clients from the service directory, the rest from the database or Redis. */
function adapterFactory(parts: ProviderParts): NonNullable<Configuration['adapter']> {
  const { oidcStorage: storage, clients, guardSessions, sealer, requestFacts } = parts;
  return (name: string): Adapter => {
    if (name !== 'Client') {
      const stored = sealRequestFields(storage.adapterFor(name), name, sealer);
      let wrapped = stored;
      if (name === 'Session') {
        wrapped = guardSessions(stored);
      } else if (name === 'Grant') {
        wrapped = readGrantRolesAlong(stored, parts.store.db, requestFacts);
      } else if (SESSION_BOUND_TOKEN_MODELS.has(name)) {
        wrapped = noteTokenGrant(stored, requestFacts);
      }
      const adapter = translateUnavailable(wrapped as unknown as Adapter);
      const consume = adapter.consume.bind(adapter);
      // Two requests racing with one code or refresh token: the store lets one consume it, and the other gets the
      // protocol's invalid_grant. The loser is a reuse, so its grant is revoked, as oidc-provider does when it finds
      // the record already consumed. Without this, revocation would depend on whether the loser read the record
      // before or after the winner's consume.
      adapter.consume = async (id) => {
        try {
          await consume(id);
        } catch (error) {
          if (error instanceof AlreadyConsumedError) {
            if (REUSE_REVOKES_GRANT.has(name)) await revokeReusedGrant(parts, name, (await adapter.find(id)) ?? undefined);
            throw new errors.InvalidGrant('grant request is invalid');
          }
          throw error;
        }
      };
      return adapter;
    }
    const readOnly = async (): Promise<undefined> => undefined;
    return {
      upsert: readOnly,
      find: async (id: string) => (await clients.metadata(id)) as AdapterPayload | undefined,
      findByUserCode: readOnly,
      findByUid: readOnly,
      consume: readOnly,
      destroy: readOnly,
      revokeByGrantId: readOnly,
    };
  };
}

export function createProvider(parts: ProviderParts): Provider {
  const { config, store, clients, logger } = parts;
  const configuration = buildConfiguration({
    config,
    keys: parts.keys,
    adapter: timed(adapterFactory(parts) as AdapterFactory, parts.timeAdapter),
    findAccount: createFindAccount(store.db, parts.identifiers, clients, parts.requestFacts),
    policy: createPolicy(store.db, clients, { grantRoleMs: config.refreshTokenTtl * 1000, sessionMs: config.sessionTtl * 1000 }, parts.requestFacts),
    clients,
  });

  const provider = new Provider(config.issuer, configuration);
  // Host and protocol are rewritten to the issuer's before each request
  // reaches the provider (see providerHandler), so trusting them is safe.
  provider.proxy = true;
  listenForAuditEvents(provider, parts.audit);
  // First of the provider.use middleware, so that it also responds for the throttle's Redis failures.
  installStorageGate(provider, { available: parts.oidcStorage.available, retryAfterSeconds: REDIS_RETRY_AFTER_SECONDS, renderError: createRenderError(config.demo) });
  installClientAuthThrottle(provider, { throttle: parts.throttle, logger, audit: parts.audit, clients });
  installFormActionPolicy(provider);
  // Registered after the form-action policy, whose check then runs on this page.
  provider.use(createAnonymousLogoutPage(config.demo));
  provider.use(createNotFoundPage(config.demo));

  provider.on('server_error', (ctx, error) => {
    logger.error({ err: error, requestId: ctx.get('x-request-id') }, 'oidc-provider server error');
  });
  provider.on('grant.error', (_ctx, error) => {
    logger.info({ error: error.message }, 'token request rejected');
  });
  provider.on('grant.revoked', (_ctx, grantId) => {
    logger.info({ grantId }, 'grant revoked');
  });
  return provider;
}

/**
 * The Node request handler for the provider's routes. Every URL oidc-provider
 * builds comes from the request's Host and protocol, so both are forced to
 * the configured issuer here. A forged Host or X-Forwarded-Host header
 * therefore cannot reach discovery, redirects or tokens. The client address
 * `ip`, resolved by the caller, replaces X-Forwarded-For, which the provider
 * trusts.
 */
export function providerHandler(provider: Provider, issuer: string) {
  const issuerUrl = new URL(issuer);
  const callback = provider.callback();
  return (req: IncomingMessage, res: ServerResponse, ip: string): void => {
    req.headers.host = issuerUrl.host;
    req.headers['x-forwarded-host'] = issuerUrl.host;
    req.headers['x-forwarded-proto'] = issuerUrl.protocol.replace(':', '');
    req.headers['x-forwarded-for'] = ip;
    void callback(req, res);
  };
}
