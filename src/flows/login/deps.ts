import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../../audit/events.js';
import type { Config } from '../../config/load.js';
import type { PasswordHasher } from '../../identity/password/hash.js';
import type { ClientDirectory } from '../../oidc/clients.js';
import type { InteractionGateway } from '../../oidc/interactions.js';
import type { CsrfGuard } from '../../server/csrf.js';
import type { IdentifierCipher } from '../../storage/identifier-cipher.js';
import type { DatabaseSchema } from '../../storage/schema.js';
import type { LoginThrottle } from '../../throttling/index.js';

/** Dependencies of the login flow's routes; nothing else is reachable from them. */
export interface LoginFlowDeps {
  config: Config;
  db: Kysely<DatabaseSchema>;
  identifiers: IdentifierCipher;
  gateway: InteractionGateway;
  clients: ClientDirectory;
  csrf: CsrfGuard;
  logger: Logger;
  audit: AuditLog;
  /** Failed-attempt delays around the password check. */
  loginThrottle: LoginThrottle;
  /** Password verification on the hash pool. Under overload it raises OverloadedError. */
  passwords: PasswordHasher;
}
