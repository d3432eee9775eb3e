import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { formAction, formField, type Hop } from './helpers/browser.js';
import { DEMO_PASSWORD, IssuerBrowser, localOrigin, loginPage, LOGINS, NEW_PASSWORD, passwordPage, signedInHome } from './helpers/hardening-flows.js';
import { RawBrowser } from './helpers/hardening-raw-browser.js';
import { authState } from './helpers/hardening-state.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

// Bounded so that the whole file stays well under a minute on two cores.
const RUNS = { numRuns: 150 };
const BODY_LIMIT_BYTES = 16 * 1024;

const hostileValue = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'<>"\'&=%+;\r\n\0 абв', '\uD800', '\u202E', '\u{1F600}', '%zz', '%00', '[]', '__proto__'), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('', LOGINS.teacherParent, '+7 916 000-00-01', '145-287-963 97', 'constructor', '__proto__', 'toString'),
  fc.string({ unit: 'grapheme', minLength: 500, maxLength: 4000 }),
);
const fieldName = fc.oneof(
  fc.constantFrom('login', 'password', 'csrf', 'shared_device', 'role', 'current_password', 'new_password', 'new_password_repeat', '__proto__', 'login[]', 'csrf[0]'),
  fc.string({ maxLength: 8 }),
);
const randomFields = fc.array(fc.tuple(fieldName, fc.oneof(hostileValue, fc.array(hostileValue, { maxLength: 3 }))), { maxLength: 6 });
// Known logins in their usual spellings, so that many submissions reach the password check.
const knownLogin = fc.constantFrom(LOGINS.teacherParent, 'IVANOVA@EXAMPLE.RU', '+7 916 000-00-01', '8 (916) 000 00 01', '145-287-963 97');
const fields = fc
  .tuple(
    fc.option(fc.oneof(knownLogin, hostileValue), { nil: undefined }),
    fc.option(hostileValue, { nil: undefined }),
    randomFields,
  )
  .map(([login, password, rest]) => [
    ...(login === undefined ? [] : [['login', login] as [string, string]]),
    ...(password === undefined ? [] : [['password', password] as [string, string]]),
    ...rest,
  ]);

const FORM_TYPE = 'application/x-www-form-urlencoded';
// Mostly the form's own type, so that most submissions reach the handler behind the parser.
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant(FORM_TYPE) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      `${FORM_TYPE}; charset=utf-8`,
      `${FORM_TYPE}; charset=koi8-r`,
      FORM_TYPE.toUpperCase(),
      `${FORM_TYPE};;;`,
      'text/plain',
      'application/json',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      '*/*',
      undefined,
    ),
  },
);

/** Percent-encodes UTF-8 bytes; encodeURIComponent throws on lone surrogates, which the fuzzer sends on purpose. */
function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

type Body = { kind: 'form'; entries: Array<[string, string | string[]]>; withToken: boolean } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'huge'; size: number };

const mostlyTrue = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('form' as const), entries: fields, withToken: mostlyTrue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 2000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), size: fc.constantFrom(BODY_LIMIT_BYTES - 200, BODY_LIMIT_BYTES + 10, 100_000) }) },
);

function render(generated: Body, token: string | undefined): Buffer {
  if (generated.kind === 'bytes') return Buffer.from(generated.bytes);
  if (generated.kind === 'huge') return Buffer.from(`login=${'x'.repeat(generated.size)}`);
  const pairs = generated.entries.flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((item) => `${encode(name)}=${encode(item)}`));
  // The valid token goes first: a repeated field counts by its first value.
  if (generated.withToken && token !== undefined) pairs.unshift(`csrf=${encode(token)}`);
  return Buffer.from(pairs.join('&'));
}

interface Target {
  raw: RawBrowser;
  page: Hop;
  /** Whether a valid token may be sent: false where the token alone makes the form succeed. */
  tokenAllowed: boolean;
  /** Statuses a rejected or harmless submission may get. */
  statuses: number[];
  /** The page is still usable after the fuzzing. */
  stillWorks(): Promise<void>;
}

async function fuzzForm(propusk: RunningPropusk, target: Target): Promise<void> {
  const action = formAction(target.page.body);
  const token = target.tokenAllowed ? formField(target.page.body, 'csrf') : undefined;
  const initial = await authState(propusk);
  await fc.assert(
    fc.asyncProperty(body, contentType, async (generated, type) => {
      const hop = await target.raw.request(action, { method: 'POST', rawBody: render(generated, token), contentType: type });
      assert.ok(hop.status < 500, `status ${hop.status} for ${JSON.stringify(generated).slice(0, 300)}`);
      assert.ok(target.statuses.includes(hop.status), `unexpected status ${hop.status}`);
      assert.equal(await authState(propusk), initial, 'a rejected form changed state');
    }),
    RUNS,
  );
  const health = await target.raw.request('/healthz');
  assert.equal(health.status, 200);
  await target.stillWorks();
}

describe('form handlers under random input', () => {
  let propusk: RunningPropusk;
  let origin: string;

  before(async () => {
    // Throttling would turn most of the fuzzed logins into waits; this file tests the form handling.
    propusk = await startPropusk({
      env: { PROPUSK_THROTTLE_ACCOUNT_FREE_FAILURES: '100', PROPUSK_THROTTLE_IP_FREE_FAILURES: '100000', PROPUSK_THROTTLE_NETWORK_FREE_FAILURES: '100000' },
    });
    origin = localOrigin(propusk);
  });
  after(async () => propusk?.stop());

  const browserPair = () => {
    const raw = new RawBrowser(origin);
    return { raw, b: new IssuerBrowser(propusk.issuer, origin, raw) };
  };

  test('login form', async () => {
    const { raw, b } = browserPair();
    const page = await loginPage(b, origin, 'dnevnik');
    await fuzzForm(propusk, {
      raw,
      page,
      tokenAllowed: true,
      statuses: [400, 401, 403, 413, 415, 429],
      async stillWorks() {
        const back = await b.submit(page, { login: LOGINS.teacherParent, password: DEMO_PASSWORD });
        assert.equal(back.status, 303, 'the same interaction still signs in');
      },
    });
  });

  test('role chooser form', async () => {
    const { raw, b } = browserPair();
    const page = await b.submit(await loginPage(b, origin, 'biblioteka'), { login: LOGINS.teacherParent, password: DEMO_PASSWORD });
    assert.match(page.body, /name="role"/);
    await fuzzForm(propusk, {
      raw,
      page,
      tokenAllowed: true,
      statuses: [400, 403, 413, 415],
      async stillWorks() {
        const role = /name="role" value="([^"]+)"/.exec(page.body)?.[1] as string;
        const back = await b.submit(page, { role });
        assert.equal(back.status, 303, 'the chooser still accepts an offered role');
      },
    });
  });

  test('unavailable page form', async () => {
    const { raw, b } = browserPair();
    const page = await b.submit(await loginPage(b, origin, 'zhurnal'), { login: LOGINS.studentOnly, password: DEMO_PASSWORD });
    assert.equal(page.status, 403);
    await fuzzForm(propusk, {
      raw,
      page,
      tokenAllowed: false,
      statuses: [400, 403, 413, 415],
      async stillWorks() {
        const back = await b.submit(page, {});
        assert.equal(back.status, 303, 'the way back to the service still works');
      },
    });
  });

  test('password change form', async () => {
    const { raw, b } = browserPair();
    const page = await passwordPage(b, origin);
    await fuzzForm(propusk, {
      raw,
      page,
      tokenAllowed: true,
      statuses: [400, 401, 403, 413, 415, 429],
      async stillWorks() {
        const changed = await b.submit(page, { current_password: DEMO_PASSWORD, new_password: NEW_PASSWORD, new_password_repeat: NEW_PASSWORD });
        assert.equal(changed.status, 200, 'the form still changes the password');
        assert.ok(changed.url.endsWith('/password/changed'), changed.url);
      },
    });
  });

  test('home role switch form', async () => {
    const { raw, b } = browserPair();
    const page = await signedInHome(b, origin);
    await fuzzForm(propusk, {
      raw,
      page,
      tokenAllowed: true,
      statuses: [303, 400, 403, 413, 415],
      async stillWorks() {
        const role = /<option value="([^"]+)">/.exec(page.body)?.[1] as string;
        const switched = await b.submit(page, { role });
        assert.match(switched.body, /role="status"/, 'the switch still works');
      },
    });
  });
});
