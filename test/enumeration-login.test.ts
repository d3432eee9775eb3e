// No user enumeration at the login form: a wrong password for an existing
// identifier and any password for an unknown one get the same status, message,
// page shape and, within measurement noise, the same time.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { readLoginIdentifier } from '../src/identity/identifiers/parse.js';
import { errorText, openLoginForm, postLogin, type OpenLoginForm } from './helpers/login-form.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/** Timed attempts per identifier kind and case in one round; a kind gets at most two rounds. */
const ATTEMPTS = 150;
const WARM_UP = 5;
const MAX_MEDIAN_GAP_MS = 5;

const PASSWORD = 'wrong password 1';

/**
 * The configuration allows at most 100 free failures per login, fewer than
 * the attempts measured here, so the counters are cleared between rounds.
 * Each attempt still goes through the throttle's counting.
 */
const COUNTER_CLEAR_INTERVAL = 40;

async function clearFailureCounters(propusk: RunningPropusk): Promise<void> {
  await propusk.runtime.store.db.deleteFrom('throttle_counters').execute();
}

/** Find a checksum-valid СНИЛС that no demo person has and that reads the same way as the demo one. */
function unknownSnils(): string {
  for (let control = 0; control < 100; control += 1) {
    const candidate = `145-287-964 ${String(control).padStart(2, '0')}`;
    const kinds = readLoginIdentifier(candidate).map((reading) => reading.kind);
    if (kinds.length === 1 && kinds[0] === 'snils') {
      return candidate;
    }
  }
  throw new Error('no checksum-valid СНИЛС found for the test');
}

const CASES = {
  phone: { existing: '+7 916 000-00-01', unknown: '+7 916 000-77-77' },
  email: { existing: 'ivanova@example.ru', unknown: 'no-such-person@example.ru' },
  snils: { existing: '145-287-963 97', unknown: unknownSnils() },
} as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Remove the echoed login from a page: what is left may not depend on whether the login exists. */
function withoutEcho(body: string, login: string): string {
  const escaped = login.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return body.replace(`value="${escaped}"`, 'value=""');
}

async function timedAttempt(form: OpenLoginForm, login: string) {
  const started = performance.now();
  const hop = await postLogin(form, login, PASSWORD);
  return { ms: performance.now() - started, hop };
}

describe('login answers do not tell whether an account exists', () => {
  let propusk: RunningPropusk;
  let form: OpenLoginForm;

  before(async () => {
    propusk = await startPropusk({
      env: {
        // Hundreds of failures for one login: the throttle must stay out of the measurement.
        PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: '100',
        PROPUSK_THROTTLE_IP_FREE_FAILURES: '100000',
        PROPUSK_THROTTLE_NETWORK_FREE_FAILURES: '100000',
      },
    });
    form = await openLoginForm(propusk.issuer);
  });
  after(async () => {
    await propusk?.stop();
  });

  test('every case reads the input the same way', () => {
    for (const [kind, pair] of Object.entries(CASES)) {
      const existing = readLoginIdentifier(pair.existing).map((reading) => reading.kind);
      const unknown = readLoginIdentifier(pair.unknown).map((reading) => reading.kind);
      assert.deepEqual(existing, unknown, kind);
    }
  });

  test('status, message and page shape are identical for every kind', async () => {
    const shapes: Array<{ login: string; status: number; message: string; length: number }> = [];
    for (const pair of Object.values(CASES)) {
      for (const login of [pair.existing, pair.unknown]) {
        const hop = await postLogin(form, login, PASSWORD);
        shapes.push({ login, status: hop.status, message: errorText(hop.body), length: withoutEcho(hop.body, login).length });
      }
    }
    const first = shapes[0];
    assert.ok(first !== undefined);
    assert.equal(first.status, 401);
    assert.match(first.message, /Неверный логин или пароль/);
    for (const shape of shapes) {
      assert.equal(shape.status, first.status, shape.login);
      assert.equal(shape.message, first.message, shape.login);
      assert.equal(shape.length, first.length, shape.login);
    }
  });

  /** Time ATTEMPTS alternating pairs and return the medians of both cases. */
  async function measure(pair: { existing: string; unknown: string }): Promise<{ existing: number; unknown: number }> {
    const existing: number[] = [];
    const unknown: number[] = [];
    // Alternating the two cases spreads any drift of the machine's load evenly over both.
    for (let i = 0; i < ATTEMPTS; i += 1) {
      if (i % COUNTER_CLEAR_INTERVAL === 0) {
        await clearFailureCounters(propusk);
      }
      const [first, second] = i % 2 === 0 ? [pair.existing, pair.unknown] : [pair.unknown, pair.existing];
      const a = await timedAttempt(form, first);
      const b = await timedAttempt(form, second);
      for (const [login, result] of [[first, a], [second, b]] as const) {
        assert.equal(result.hop.status, 401, `${login}: attempt rejected with ${result.hop.status}`);
        (login === pair.existing ? existing : unknown).push(result.ms);
      }
    }
    return { existing: median(existing), unknown: median(unknown) };
  }

  for (const [kind, pair] of Object.entries(CASES)) {
    test(`${kind}: existing and unknown take the same time`, async (t) => {
      await clearFailureCounters(propusk);
      for (let i = 0; i < WARM_UP; i += 1) {
        await postLogin(form, pair.existing, PASSWORD);
        await postLogin(form, pair.unknown, PASSWORD);
      }

      // A second round runs only when the first misses: a machine busy with other work can shift one
      // round's medians by a few ms, while a real difference in the code shows in both rounds.
      let medians = await measure(pair);
      t.diagnostic(`median existing ${medians.existing.toFixed(2)} ms, unknown ${medians.unknown.toFixed(2)} ms`);
      if (Math.abs(medians.existing - medians.unknown) >= MAX_MEDIAN_GAP_MS) {
        medians = await measure(pair);
        t.diagnostic(`second round: median existing ${medians.existing.toFixed(2)} ms, unknown ${medians.unknown.toFixed(2)} ms`);
      }
      const gap = Math.abs(medians.existing - medians.unknown);
      assert.ok(gap < MAX_MEDIAN_GAP_MS, `median existing ${medians.existing.toFixed(2)} ms, unknown ${medians.unknown.toFixed(2)} ms`);
    });
  }
});
