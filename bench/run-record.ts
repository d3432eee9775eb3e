// Everything one `npm run bench` measured, as the report writer reads it.
import type { Argon2Ceiling } from './ceilings/argon2.js';
import type { MachineDescription } from './cpu.js';
import type { ScenarioResult } from './measure.js';
import type { BenchOptions } from './options.js';
import type { ScenarioProfile } from './profiling.js';

export interface StoreRun {
  /** "SQLite" or "PostgreSQL + Redis (database 15)". */
  label: string;
  commands: string[];
  /** Node.js processes of the server: 1, or a cluster primary and its workers. */
  serverProcesses?: number;
  results: ScenarioResult[];
  profiles: ScenarioProfile[];
  /** Set when the server could not be started or the store not opened. */
  error?: string;
}

export interface CeilingRun {
  argon2?: Argon2Ceiling;
  trivial?: ScenarioResult;
  bare: ScenarioResult[];
  errors: string[];
}

export interface SessionMemory {
  /** Bytes of Redis memory per idle session, or undefined when the measurement failed. */
  bytesPerSession?: number;
  output: string;
  command: string;
}

export interface BenchRun {
  command: string;
  startedAt: Date;
  finishedAt: Date;
  machine: MachineDescription;
  /** 1, 5 and 15 minute load averages before the run: other work on the machine skews the numbers. */
  loadAverage: number[];
  options: BenchOptions;
  ceilings?: CeilingRun;
  stores: StoreRun[];
  sessionMemory?: SessionMemory;
}
