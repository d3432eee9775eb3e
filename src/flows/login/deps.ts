import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../../config/load.js';
import type { ClientDirectory } from '../../oidc/clients.js';
import type { InteractionGateway } from '../../oidc/interactions.js';
import type { CsrfGuard } from '../../server/csrf.js';
import type { DatabaseSchema } from '../../storage/schema.js';

/** Dependencies of the login flow's routes; nothing else is reachable from them. */
export interface LoginFlowDeps {
  config: Config;
  db: Kysely<DatabaseSchema>;
  gateway: InteractionGateway;
  clients: ClientDirectory;
  csrf: CsrfGuard;
  logger: Logger;
}
