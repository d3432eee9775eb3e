import type { Scenario } from '../scenarios/index.js';

export const TRIVIAL_STEP = 'GET /';

/** One GET of the trivial server, through the same load generator and client as the scenarios. */
export const trivialRequest: Scenario = {
  name: 'trivial-request',
  title: 'GET / of a node:http server that returns "ok"',
  unit: 'requests',
  concurrency: 32,
  needsLoginForm: false,
  async prepare(target) {
    return async (_user, timer) => {
      const response = await timer.time(TRIVIAL_STEP, () => target.http.request('/'));
      if (response.status !== 200 || response.body !== 'ok') {
        throw new Error(`trivial server returned ${response.status}`);
      }
    };
  },
};
