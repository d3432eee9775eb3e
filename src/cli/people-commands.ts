import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { InputError } from '../errors/index.js';
import { openRuntime } from '../server/runtime.js';
import { blockPerson, unblockPerson } from '../sessions/person-status.js';
import { openOidcStorage, type OidcStorage } from '../storage/redis/oidc-storage.js';

const USAGE = 'usage is `propusk people block EXTERNAL_ID` or `propusk people unblock EXTERNAL_ID`';

/**
 * `propusk people block|unblock EXTERNAL_ID`: block a person (no sign-in,
 * every session ended, every service's tokens revoked) or let them sign in
 * again. The id is the person's `id` in the school records.
 */
export async function peopleCommand(config: Config, logger: Logger, args: readonly string[]): Promise<void> {
  const [action, externalId] = args;
  if (action !== 'block' && action !== 'unblock') {
    throw new InputError(action === undefined ? `Missing subcommand: ${USAGE}` : `Unknown people subcommand "${action}": ${USAGE}`);
  }
  if (externalId === undefined || externalId.trim() === '') {
    throw new InputError(`Missing external id: ${USAGE}`);
  }

  const runtime = await openRuntime(config, logger);
  let oidcStorage: OidcStorage | undefined;
  try {
    // With REDIS_URL the sessions live in Redis, and blocking must end them there.
    oidcStorage = await openOidcStorage({ store: runtime.store, redisUrl: config.redisUrl, redisSentinel: config.redisSentinel, redisPrefix: config.redisPrefix, logger });
    const deps = { store: runtime.store, audit: runtime.audit, events: runtime.sessionEvents, logger, oidcStorage };
    if (action === 'block') {
      const result = await blockPerson(deps, externalId);
      console.log(
        `${result.changed ? 'Blocked' : 'Already blocked'} ${externalId}: ${result.sessionsEnded} sessions ended, ${result.grantsRevoked} grants revoked.`,
      );
    } else {
      const result = await unblockPerson(deps, externalId);
      console.log(`${result.changed ? 'Unblocked' : 'Not blocked'} ${externalId}: the person can sign in.`);
    }
  } finally {
    await oidcStorage?.close();
    await runtime.store.close();
  }
}
