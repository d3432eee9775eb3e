// The performance targets of Propusk, per CPU second of server time at the
// argon2id parameters of src/identity/password/hash.ts. For comparison,
// Keycloak 26's sizing guide publishes 15 password logins, 120 refresh and
// 120 client credentials grants per second per vCPU.
import { STEPS } from './browser-flow.js';
import { USERINFO_STEP } from './scenarios/resource-requests.js';
import type { ScenarioName } from './scenarios/index.js';

/** Minimum completed iterations per CPU second of the server, per scenario. */
export const PER_CPU_SECOND_TARGETS: Partial<Record<ScenarioName, number>> = {
  'password-login': 60,
  'sso-hop': 600,
  refresh: 1000,
  'client-credentials': 2000,
  userinfo: 4000,
  introspection: 4000,
};

/** Password logins per CPU second must reach this share of the argon2id hashes per CPU second. */
export const LOGIN_SHARE_OF_ARGON2 = 0.75;

export interface LatencyTarget {
  scenario: ScenarioName;
  step: string;
  /** Maximum p99 in milliseconds at 70% of the scenario's measured maximum throughput. */
  p99Milliseconds: number;
}

/** Token endpoint: the code exchange, the refresh and the client credentials grants. */
export const LATENCY_TARGETS: readonly LatencyTarget[] = [
  { scenario: 'password-login', step: STEPS.loginPost, p99Milliseconds: 60 },
  { scenario: 'password-login', step: STEPS.token, p99Milliseconds: 15 },
  { scenario: 'sso-hop', step: STEPS.token, p99Milliseconds: 15 },
  { scenario: 'refresh', step: STEPS.token, p99Milliseconds: 15 },
  { scenario: 'client-credentials', step: STEPS.token, p99Milliseconds: 15 },
  { scenario: 'userinfo', step: USERINFO_STEP, p99Milliseconds: 5 },
];

/** Redis memory per idle session with one service, in bytes. */
export const SESSION_MEMORY_TARGET_BYTES = 1536;
