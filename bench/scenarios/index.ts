import { clientCredentials } from './client-credentials.js';
import { passwordLogin } from './password-login.js';
import { refreshGrant } from './refresh.js';
import { introspection, jwks, userinfo } from './resource-requests.js';
import type { Scenario } from './scenario.js';
import { ssoHop } from './sso-hop.js';

/** Every scenario, in the order of the report. */
export const SCENARIOS: readonly Scenario[] = [passwordLogin, ssoHop, refreshGrant, clientCredentials, userinfo, introspection, jwks];

export type { Scenario, ScenarioName } from './scenario.js';
