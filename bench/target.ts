// A server under test as the scenarios see it: where to send requests, its
// clients and people, and how much CPU its processes have used.
import type { BenchClient, BenchPerson } from './dataset.js';
import type { HttpTarget } from './http.js';

export interface BenchTarget {
  /** Shown in the report, such as "Propusk, SQLite" or "bare oidc-provider". */
  label: string;
  http: HttpTarget;
  web: BenchClient;
  machine: BenchClient;
  /** People who can sign in with a password. Empty when the server signs in without a form. */
  people: BenchPerson[];
  redirectUri: string;
  /** CPU seconds used so far by the server process and its workers. */
  serverCpuSeconds(): number;
  /** Live processes of the server: 1, or the primary plus its cluster workers. */
  serverProcesses(): number;
}
