// Measure several scenarios on one running server, one after another, printing each result.
import { measureScenario, type ScenarioResult } from './measure.js';
import type { BenchOptions } from './options.js';
import { progress, summarise } from './progress.js';
import type { Scenario } from './scenarios/index.js';
import type { BenchTarget } from './target.js';

/** Run each scenario's passes in turn. With `partialLoad`, each also gets the pass at 70% of its maximum. */
export async function measureScenarios(target: BenchTarget, scenarios: readonly Scenario[], options: BenchOptions, partialLoad: boolean): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const result = await measureScenario(target, scenario, {
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      concurrency: options.concurrency,
      partialLoad,
    });
    progress(summarise(result));
    results.push(result);
  }
  return results;
}
