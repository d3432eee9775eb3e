// CPU profiles of Propusk during chosen scenarios: one server started with
// --cpu-prof, one measured pass per scenario, and a summary of the samples
// of each pass.
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { measureScenario, type ScenarioResult } from './measure.js';
import { monotonicMicros, summariseProfiles, type ProfileSummary } from './profile.js';
import { startPropusk, type PropuskOptions } from './propusk-server.js';
import type { Scenario } from './scenarios/index.js';

export interface ScenarioProfile {
  scenario: Scenario;
  result?: ScenarioResult;
  summary?: ProfileSummary;
  /** Reason for the missing summary. */
  error?: string;
}

interface PassWindow {
  scenario: Scenario;
  result: ScenarioResult;
  /** Monotonic clock at the start and the end of the measured pass, in microseconds. */
  start: number;
  end: number;
}

/**
 * Profile each scenario on one fresh server. Each process and thread of the
 * server writes one profile of its whole life when it exits, and the samples
 * of each pass are picked from all of them by the time of the pass.
 */
export async function profileScenarios(options: Omit<PropuskOptions, 'cpuProfileDir'>, scenarios: readonly Scenario[], durationSeconds: number): Promise<ScenarioProfile[]> {
  const profileDir = path.join(options.workDir, 'profiles');
  await mkdir(profileDir, { recursive: true });
  const running = await startPropusk({ ...options, cpuProfileDir: profileDir });
  const passes: PassWindow[] = [];
  try {
    for (const scenario of scenarios) {
      let start = 0;
      let end = 0;
      const result = await measureScenario(running.target, scenario, {
        durationSeconds,
        warmupSeconds: 0.5,
        partialLoad: false,
        onPassStart: () => (start = monotonicMicros()),
        onPassEnd: () => (end = monotonicMicros()),
      });
      passes.push({ scenario, result, start, end });
    }
  } finally {
    await running.stop();
  }

  const files = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile')).map((name) => path.join(profileDir, name));
  return passes.map(({ scenario, result, start, end }): ScenarioProfile => {
    if (files.length === 0) {
      return { scenario, result, error: 'no .cpuprofile was written; the server did not exit normally' };
    }
    if (result.max === undefined || start === 0) {
      return { scenario, result, error: result.setupError ?? 'the profiled pass did not run' };
    }
    return { scenario, result, summary: summariseProfiles(files, { window: { fromMicros: start, toMicros: end } }) };
  });
}
