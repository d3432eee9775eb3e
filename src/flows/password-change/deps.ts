import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../../audit/events.js';
import type { Config } from '../../config/load.js';
import type { PasswordHasher } from '../../identity/password/hash.js';
import type { PasswordContext } from '../../identity/password/policy.js';
import type { SessionIdRotator, SessionReader } from '../../oidc/sessions.js';
import type { CsrfGuard } from '../../server/csrf.js';
import type { SessionTerminator } from '../../sessions/end-sessions.js';
import type { DatabaseSchema } from '../../storage/schema.js';
import type { Throttle } from '../../throttling/throttle.js';
import type { Person } from '../../storage/types.js';

/** Dependencies of the password change routes; nothing else is reachable from them. */
export interface PasswordChangeDeps {
  config: Config;
  db: Kysely<DatabaseSchema>;
  readSession: SessionReader;
  rotateSessionId: SessionIdRotator;
  csrf: CsrfGuard;
  audit: AuditLog;
  sessions: SessionTerminator;
  /** The person's names and identifiers for the password policy. */
  passwordContext(person: Person): Promise<PasswordContext>;
  /** Delays for failed current-password checks, shared with the login form. */
  throttle: Throttle;
  /** Password hashing on the hash pool. Under overload it raises OverloadedError. */
  passwords: PasswordHasher;
  logger: Logger;
}
