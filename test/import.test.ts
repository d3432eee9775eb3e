// `propusk import`: the whole importer against real SQLite and PostgreSQL
// databases, from a valid file through every kind of rejected record to a
// conflict that only the database detects.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { demoAccounts } from '../src/demo/demo-accounts.js';
import { ImportError } from '../src/errors/index.js';
import { readLoginIdentifier } from '../src/identity/identifiers/parse.js';
import { hashPassword, verifyPassword } from '../src/identity/password/hash.js';
import { applyImport } from '../src/importer/apply.js';
import { importFile, importRecords } from '../src/importer/index.js';
import { hashInitialPasswords } from '../src/importer/passwords.js';
import { buildPlan } from '../src/importer/plan.js';
import { validateImport } from '../src/importer/validate.js';
import type { Sealer } from '../src/keys/sealer.js';
import type { Store } from '../src/storage/database.js';
import { listIdentifiers, replaceIdentifiers } from '../src/storage/identifiers.js';
import { listChildren } from '../src/storage/parent-links.js';
import { findPeopleByIdentifier, findPersonByExternalId, findPersonById, setPasswordHash, upsertPersonByExternalId } from '../src/storage/people.js';
import { listRoles } from '../src/storage/roles.js';
import { findService } from '../src/storage/services.js';
import { migratedStoreHooks, openPostgresTestStore, openSqliteTestStore, type OpenFreshStore } from './helpers/databases.js';
import { openTestKeys, type TestKeys } from './helpers/identifier-keys.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const EXAMPLE_PATH = fileURLPath('../docs/examples/import.example.json');
const DEMO_PATH = fileURLPath('../src/demo/demo-data.json');
const TABLES = ['organizations', 'services', 'people', 'identifiers', 'roles', 'parent_links'] as const;

type Json = Record<string, any>;

function fileURLPath(relative: string): string {
  return new URL(relative, import.meta.url).pathname;
}

function loadJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/** Return every row of the tables an import writes, in a stable order, for before/after comparison. */
async function snapshot(store: Store): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const rows = await store.db.selectFrom(table).selectAll().execute();
    result[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return result;
}

async function rowCounts(store: Store): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const row = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.count);
  }
  return counts;
}

/** Run `action` and return the ImportError it must throw. */
async function importErrorOf(action: () => Promise<unknown>): Promise<ImportError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof ImportError, `expected ImportError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the import to be rejected');
}

async function personId(store: Store, externalId: string): Promise<string> {
  const person = await findPersonByExternalId(store.db, externalId);
  assert.ok(person !== undefined, `person ${externalId} not stored`);
  return person.id;
}

/** One rejected-record case: how to spoil the example file, and the problem it must produce. */
interface BadRecordCase {
  name: string;
  spoil(data: Json): void;
  problem: RegExp;
}

const BAD_RECORDS: BadRecordCase[] = [
  {
    name: 'landline phone',
    spoil: (data) => (data.people[1].phone = '+7 495 123-45-67'),
    problem: /^people\[1\]\.phone: is not a Russian mobile number/,
  },
  {
    name: 'СНИЛС with a wrong check number',
    spoil: (data) => (data.people[0].snils = '123-456-789 65'),
    problem: /^people\[0\]\.snils: invalid check number$/,
  },
  {
    name: 'malformed e-mail',
    spoil: (data) => (data.people[2].email = 'o.kuznetsova@@school57.example'),
    problem: /^people\[2\]\.email: has more than one @$/,
  },
  {
    name: 'unknown organization',
    spoil: (data) => (data.people[2].roles[0].organization = 'school-404'),
    problem: /^people\[2\]\.roles\[0\]\.organization: "school-404" is neither in this file nor in the database$/,
  },
  {
    name: 'parent without children',
    spoil: (data) => (data.people[0].children = []),
    problem: /^people\[0\]\.children: must list at least one child/,
  },
  {
    name: 'children without a parent role',
    spoil: (data) => (data.people[2].children = ['s-0571']),
    problem: /^people\[2\]\.children: is only allowed for a person with a parent role$/,
  },
  {
    name: 'unknown child',
    spoil: (data) => (data.people[0].children = ['student-404']),
    problem: /^people\[0\]\.children\[0\]: "student-404" is neither in this file nor in the database$/,
  },
  {
    name: 'same e-mail on two people',
    spoil: (data) => (data.people[3].email = 'M.IVANOVA@school57.example'),
    problem: /^people\[3\]\.email: same email as people\[0\]\.email$/,
  },
  {
    name: 'same phone written differently',
    spoil: (data) => (data.people[1].phone = '8 926 555 01 01'),
    problem: /^people\[1\]\.phone: same phone as people\[0\]\.phone$/,
  },
  {
    name: 'http redirect URI to a remote host',
    spoil: (data) => (data.services[0].redirect_uris = ['http://dnevnik.school.example/callback']),
    problem: /^services\[0\]\.redirect_uris\[0\]: must use https/,
  },
  {
    name: 'redirect URI with a fragment',
    spoil: (data) => (data.services[0].redirect_uris = ['https://dnevnik.school.example/callback#top']),
    problem: /^services\[0\]\.redirect_uris\[0\]: must not contain a fragment/,
  },
  {
    name: 'relative post-logout URI',
    spoil: (data) => (data.services[0].post_logout_redirect_uris = ['/logged-out']),
    problem: /^services\[0\]\.post_logout_redirect_uris\[0\]: must be an absolute URI$/,
  },
  {
    name: 'short client secret',
    spoil: (data) => (data.services[0].client_secret = 'too-short'),
    problem: /^services\[0\]\.client_secret: must be at least 32 characters$/,
  },
  {
    name: 'unknown grant type',
    spoil: (data) => (data.services[0].grant_types = ['authorization_code', 'implicit']),
    problem: /^services\[0\]\.grant_types\[1\]: must be one of: authorization_code, refresh_token, client_credentials$/,
  },
  {
    name: 'HS256 ID token algorithm',
    spoil: (data) => (data.services[0].id_token_signed_response_alg = 'HS256'),
    problem: /^services\[0\]\.id_token_signed_response_alg: must be one of: RS256, ES256 \(leave it out for RS256\)$/,
  },
  {
    name: 'no accepted role kind',
    spoil: (data) => (data.services[0].accepted_role_kinds = []),
    problem: /^services\[0\]\.accepted_role_kinds: must list at least one role kind$/,
  },
  {
    name: 'client credentials without secret',
    spoil: (data) => delete data.services[2].client_secret,
    problem: /^services\[2\]\.client_secret: is required, because grant_types includes client_credentials$/,
  },
  {
    name: 'person without identifier',
    spoil: (data) => {
      delete data.people[2].email;
    },
    problem: /^people\[2\]: must have at least one identifier/,
  },
  {
    name: 'student without class',
    spoil: (data) => delete data.people[1].roles[0].class,
    problem: /^people\[1\]\.roles\[0\]\.class: is required for a student role$/,
  },
  {
    name: 'teacher without organization',
    spoil: (data) => delete data.people[0].roles[0].organization,
    problem: /^people\[0\]\.roles\[0\]\.organization: is required for a teacher role$/,
  },
  {
    name: 'staff with an unknown position',
    spoil: (data) => (data.people[2].roles[0].position = 'janitor'),
    problem: /^people\[2\]\.roles\[0\]\.position: must be one of: deputy_head, director, administrator$/,
  },
  {
    name: 'parent role with an organization',
    spoil: (data) => (data.people[0].roles[1].organization = 'school-57'),
    problem: /^people\[0\]\.roles\[1\]\.organization: is not allowed for a parent role$/,
  },
  {
    name: 'short initial password',
    spoil: (data) => (data.people[0].initial_password = 'short'),
    problem: /^people\[0\]\.initial_password: must be at least 8 characters$/,
  },
  {
    name: 'misspelt field',
    spoil: (data) => (data.people[3].familyname = 'Соколов'),
    problem: /^people\[3\]\.familyname: unknown field$/,
  },
  {
    name: 'missing required field',
    spoil: (data) => delete data.organizations[1].region,
    problem: /^organizations\[1\]\.region: is required$/,
  },
  {
    name: 'repeated person id',
    spoil: (data) => {
      // New identifiers, so that admin-1's stored ones are not reported as taken by a stranger.
      data.people[3].id = 't-0571';
      data.people[3].email = 'sokolov.new@example.ru';
      delete data.people[3].snils;
    },
    problem: /^people\[3\]\.id: same id as people\[0\]$/,
  },
  {
    name: 'impossible birthdate',
    spoil: (data) => (data.people[1].birthdate = '2014-02-30'),
    problem: /^people\[1\]\.birthdate: must be a date in the form YYYY-MM-DD$/,
  },
];

function runImportSuite(name: string, openFreshStore: OpenFreshStore, gate: { skip?: string } = {}): void {
  describe(`import on ${name}`, gate, () => {
    let store: Store;
    let sealer: Sealer;
    let keys: TestKeys;

    migratedStoreHooks(
      openFreshStore,
      async (opened) => {
        store = opened;
        keys = await openTestKeys(store);
        sealer = keys.sealer;
      },
      { each: true },
    );

    it('valid file creates every record', async () => {
      const summary = await importRecords(store, keys, loadJson(EXAMPLE_PATH));

      assert.deepEqual(summary, {
        organizations: { created: 2, updated: 0 },
        services: { created: 3, updated: 0 },
        people: { created: 4, updated: 0 },
        passwordsSet: 1,
      });
      assert.deepEqual(await rowCounts(store), {
        organizations: 2,
        services: 3,
        people: 4,
        identifiers: 7,
        roles: 5,
        parent_links: 1,
      });

      const teacher = await findPersonByExternalId(store.db, 't-0571');
      assert.ok(teacher !== undefined);
      assert.equal(teacher.familyName, 'Иванова');
      assert.equal(teacher.middleName, 'Петровна');
      assert.equal(teacher.birthdate, '1985-03-14');
      assert.equal(teacher.status, 'active');
      assert.ok(teacher.passwordHash !== null);
      assert.equal((await verifyPassword(teacher.passwordHash, 'change-me-at-first-login')).ok, true);

      const identifiers = await listIdentifiers(store.db, keys.identifiers, teacher.id);
      assert.deepEqual(
        identifiers.map(({ kind, value, display, verified }) => ({ kind, value, display, verified })),
        [
          { kind: 'phone', value: '+79265550101', display: null, verified: false },
          { kind: 'email', value: 'm.ivanova@school57.example', display: 'm.ivanova@school57.example', verified: false },
          { kind: 'snils', value: '12345678964', display: null, verified: false },
        ],
      );

      const teacherRoles = await listRoles(store.db, teacher.id);
      assert.deepEqual(
        teacherRoles
          .map(({ kind, organizationId, className, position }) => ({ kind, organizationId, className, position }))
          .sort((left, right) => left.kind.localeCompare(right.kind)),
        [
          { kind: 'parent', organizationId: null, className: null, position: null },
          { kind: 'teacher', organizationId: 'school-57', className: null, position: null },
        ],
      );
      const children = await listChildren(store.db, teacher.id);
      assert.deepEqual(children.map(({ child }) => child.externalId), ['s-0571']);
      assert.deepEqual(children[0]?.studentRoles.map((role) => role.className), ['5 «А»']);

      const staff = await findPersonByExternalId(store.db, 'st-0571');
      assert.ok(staff !== undefined);
      assert.equal(staff.passwordHash, null);
      assert.deepEqual((await listRoles(store.db, staff.id)).map((role) => role.position), ['director']);

      const dnevnik = await findService(store.db, 'diary-57');
      assert.ok(dnevnik !== undefined);
      assert.ok(dnevnik.clientSecretEncrypted !== null);
      assert.ok(!dnevnik.clientSecretEncrypted.includes('replace-with'), 'client secret stored in plain text');
      assert.equal(sealer.open('client-secrets', dnevnik.clientSecretEncrypted), 'replace-with-a-random-secret-of-32-or-more-characters');
      assert.deepEqual(dnevnik.redirectUris, ['https://dnevnik.school.example/callback']);
      assert.deepEqual(dnevnik.grantTypes, ['authorization_code', 'refresh_token']);
      assert.deepEqual(dnevnik.acceptedRoleKinds, ['parent', 'student']);
      assert.equal(dnevnik.idTokenSignedResponseAlg, 'ES256');

      const desktop = await findService(store.db, 'diary-57-desktop');
      assert.equal(desktop?.clientSecretEncrypted, null);
      assert.deepEqual(desktop?.postLogoutRedirectUris, []);
      assert.equal(desktop?.idTokenSignedResponseAlg, 'RS256', 'RS256 is the default');
    });

    it('re-import keeps ids and passwords', async () => {
      const data = loadJson(EXAMPLE_PATH);
      await importRecords(store, keys, data);
      const teacherId = await personId(store, 't-0571');
      const rolesBefore = (await listRoles(store.db, teacherId)).map((role) => role.id).sort();
      const identifiersBefore = (await listIdentifiers(store.db, keys.identifiers, teacherId)).map((identifier) => identifier.id);

      // The teacher changes her password after the first import.
      const changedHash = await hashPassword('a-password-she-chose');
      await setPasswordHash(store.db, teacherId, changedHash);
      const staffId = await personId(store, 'st-0571');
      const countsBefore = await rowCounts(store);

      const summary = await importRecords(store, keys, data);

      assert.deepEqual(summary, {
        organizations: { created: 0, updated: 2 },
        services: { created: 0, updated: 3 },
        people: { created: 0, updated: 4 },
        passwordsSet: 0,
      });
      assert.deepEqual(await rowCounts(store), countsBefore);
      assert.equal(await personId(store, 't-0571'), teacherId);
      assert.equal(await personId(store, 'st-0571'), staffId);
      assert.deepEqual((await listRoles(store.db, teacherId)).map((role) => role.id).sort(), rolesBefore);
      assert.deepEqual((await listIdentifiers(store.db, keys.identifiers, teacherId)).map((identifier) => identifier.id), identifiersBefore);
      assert.equal((await findPersonById(store.db, teacherId))?.passwordHash, changedHash);
    });

    it('re-import sets a password only where none is stored', async () => {
      const data = loadJson(EXAMPLE_PATH);
      await importRecords(store, keys, data);
      data.people[2].initial_password = 'staff-initial-password';
      data.people[0].initial_password = 'another-initial-password';

      const summary = await importRecords(store, keys, data);

      assert.equal(summary.passwordsSet, 1);
      const staff = await findPersonByExternalId(store.db, 'st-0571');
      assert.ok(staff?.passwordHash != null);
      assert.equal((await verifyPassword(staff.passwordHash, 'staff-initial-password')).ok, true);
      const teacher = await findPersonByExternalId(store.db, 't-0571');
      assert.ok(teacher?.passwordHash != null);
      assert.equal((await verifyPassword(teacher.passwordHash, 'change-me-at-first-login')).ok, true);
    });

    it('re-import replaces ID token algorithms', async () => {
      const data = loadJson(EXAMPLE_PATH);
      await importRecords(store, keys, data);
      delete data.services[0].id_token_signed_response_alg;
      data.services[1].id_token_signed_response_alg = 'ES256';

      const summary = await importRecords(store, keys, data);

      assert.deepEqual(summary.services, { created: 0, updated: 3 });
      assert.equal((await findService(store.db, 'diary-57'))?.idTokenSignedResponseAlg, 'RS256');
      assert.equal((await findService(store.db, 'diary-57-desktop'))?.idTokenSignedResponseAlg, 'ES256');
    });

    it('re-import replaces roles, identifiers and children', async () => {
      const data = loadJson(EXAMPLE_PATH);
      await importRecords(store, keys, data);
      const teacherId = await personId(store, 't-0571');
      const studentId = await personId(store, 's-0571');
      const oldStudentRole = (await listRoles(store.db, studentId))[0]?.id;

      data.people[1].roles[0].class = '6 «А»';
      // The phone moves from the teacher (earlier in the file) to the student.
      data.people[1].phone = data.people[0].phone;
      delete data.people[0].phone;
      data.people[0].roles = [{ kind: 'teacher', organization: 'school-57' }];
      delete data.people[0].children;
      await importRecords(store, keys, data);

      const studentRoles = await listRoles(store.db, studentId);
      assert.deepEqual(studentRoles.map((role) => role.className), ['6 «А»']);
      assert.notEqual(studentRoles[0]?.id, oldStudentRole);
      assert.deepEqual((await listIdentifiers(store.db, keys.identifiers, studentId)).map((identifier) => identifier.value), ['+79265550101']);
      assert.deepEqual((await listIdentifiers(store.db, keys.identifiers, teacherId)).map((identifier) => identifier.kind), ['email', 'snils']);
      assert.deepEqual((await listRoles(store.db, teacherId)).map((role) => role.kind), ['teacher']);
      assert.deepEqual(await listChildren(store.db, teacherId), []);
    });

    it('re-import keeps status and verified flags', async () => {
      const data = loadJson(EXAMPLE_PATH);
      await importRecords(store, keys, data);
      const teacherId = await personId(store, 't-0571');
      await store.db.updateTable('people').set({ status: 'blocked' }).where('id', '=', teacherId).execute();
      await store.db.updateTable('identifiers').set({ verified: 1 }).where('person_id', '=', teacherId).where('kind', '=', 'email').execute();

      await importRecords(store, keys, data);

      assert.equal((await findPersonById(store.db, teacherId))?.status, 'blocked');
      const verified = (await listIdentifiers(store.db, keys.identifiers, teacherId)).map(({ kind, verified: flag }) => [kind, flag]);
      assert.deepEqual(verified, [
        ['phone', false],
        ['email', true],
        ['snils', false],
      ]);
    });

    it('null optional fields count as absent', async () => {
      const data = {
        organizations: [{ id: 'school-2', kind: 'school', name: 'ГБОУ «Школа № 2»', short_name: null, region: 'Москва' }],
        services: [
          {
            client_id: 'library',
            client_secret: null,
            display_name: 'Библиотека',
            home_url: 'https://library.school.example/',
            redirect_uris: ['https://library.school.example/callback'],
            post_logout_redirect_uris: null,
            id_token_signed_response_alg: null,
            grant_types: ['authorization_code'],
            accepted_role_kinds: ['student'],
          },
        ],
        people: [
          {
            id: 'person-1',
            family_name: 'Орлова',
            given_name: 'Вера',
            middle_name: null,
            birthdate: null,
            phone: null,
            email: 'orlova@example.ru',
            snils: null,
            initial_password: null,
            roles: null,
            children: null,
          },
        ],
      };

      await importRecords(store, keys, data);

      const person = await findPersonByExternalId(store.db, 'person-1');
      assert.ok(person !== undefined);
      assert.equal(person.middleName, null);
      assert.equal(person.passwordHash, null);
      assert.deepEqual(await listRoles(store.db, person.id), []);
      const library = await findService(store.db, 'library');
      assert.equal(library?.clientSecretEncrypted, null);
      assert.deepEqual(library?.postLogoutRedirectUris, []);
      assert.equal(library?.idTokenSignedResponseAlg, 'RS256');
    });

    it('children may already be stored', async () => {
      const data = loadJson(EXAMPLE_PATH);
      await importRecords(store, keys, data);
      const parentOnly = {
        people: [
          {
            id: 'parent-2',
            family_name: 'Петров',
            given_name: 'Олег',
            phone: '+7 916 555-00-11',
            roles: [{ kind: 'parent' }],
            children: ['s-0571'],
          },
        ],
      };

      const summary = await importRecords(store, keys, parentOnly);

      assert.deepEqual(summary.people, { created: 1, updated: 0 });
      const children = await listChildren(store.db, await personId(store, 'parent-2'));
      assert.deepEqual(children.map(({ child }) => child.externalId), ['s-0571']);
    });

    for (const badCase of BAD_RECORDS) {
      it(`rejects ${badCase.name}`, async () => {
        await importRecords(store, keys, loadJson(EXAMPLE_PATH));
        const countsBefore = await rowCounts(store);
        const rowsBefore = await snapshot(store);
        const data = loadJson(EXAMPLE_PATH);
        data.people[0].family_name = 'Changed-but-not-written';
        badCase.spoil(data);

        const error = await importErrorOf(() => importRecords(store, keys, data));

        assert.equal(error.problems.length, 1, error.problems.join('\n'));
        assert.match(error.problems[0] ?? '', badCase.problem);
        assert.deepEqual(await rowCounts(store), countsBefore);
        assert.deepEqual(await snapshot(store), rowsBefore);
      });
    }

    it('rejects bad records into an empty database', async () => {
      const data = loadJson(EXAMPLE_PATH);
      data.people[1].phone = '+7 495 123-45-67';

      await importErrorOf(() => importRecords(store, keys, data));

      assert.deepEqual(await rowCounts(store), { organizations: 0, services: 0, people: 0, identifiers: 0, roles: 0, parent_links: 0 });
    });

    it('reports every problem at once', async () => {
      const data = loadJson(EXAMPLE_PATH);
      data.services[1].redirect_uris = ['ftp://files.school.example/'];
      data.people[0].snils = '123-456-789 65';
      data.people[1].birthdate = '1990-13-01';
      data.people[1].phone = data.people[0].phone;
      data.people[3].roles[0].organization = 'department-404';
      data.unexpected = true;

      const error = await importErrorOf(() => importRecords(store, keys, data));

      assert.deepEqual(error.problems, [
        'unexpected: unknown field (expected organizations, services, people)',
        'services[1].redirect_uris[0]: must use https (http is allowed only for localhost, 127.0.0.1 and [::1])',
        'people[0].snils: invalid check number',
        'people[1].birthdate: must be a date in the form YYYY-MM-DD',
        'people[1].phone: same phone as people[0].phone',
        'people[3].roles[0].organization: "department-404" is neither in this file nor in the database',
      ]);
    });

    it('never echoes a СНИЛС', async () => {
      const data = loadJson(EXAMPLE_PATH);
      data.people[0].snils = '123-456-789 65';
      data.people[3].snils = '123-456-789 64';

      const error = await importErrorOf(() => importRecords(store, keys, data));

      assert.doesNotMatch(error.message, /123.?456.?789/);
      assert.ok(error.problems.some((problem) => problem.startsWith('people[0].snils:')));
    });

    it('rejects a birthdate after now', async () => {
      const data = loadJson(EXAMPLE_PATH);

      const error = await importErrorOf(() => importRecords(store, keys, data, { now: Date.parse('2010-01-01T00:00:00Z') }));

      assert.deepEqual(error.problems, ['people[1].birthdate: must not be in the future']);
    });

    it('rejects input that is not an import object', async () => {
      const notObject = await importErrorOf(() => importRecords(store, keys, ['people']));
      assert.match(notObject.problems[0] ?? '', /^\(file\): must be a JSON object/);

      const notArray = await importErrorOf(() => importRecords(store, keys, { people: {} }));
      assert.deepEqual(notArray.problems, ['people: must be an array']);
    });

    it('rejects an identifier held outside the file', async () => {
      await upsertPersonByExternalId(store.db, {
        externalId: 'someone-else',
        familyName: 'Другой',
        givenName: 'Человек',
        middleName: null,
        birthdate: null,
        status: 'active',
      });
      const outsiderId = await personId(store, 'someone-else');
      await replaceIdentifiers(store.db, keys.identifiers, outsiderId, [{ kind: 'email', value: 'sokolov@donm.example', display: null, verified: true }]);
      const rowsBefore = await snapshot(store);

      const error = await importErrorOf(() => importRecords(store, keys, loadJson(EXAMPLE_PATH)));

      assert.deepEqual(error.problems, ['people[3].email: already belongs to person "someone-else", who is not in this file']);
      assert.deepEqual(await snapshot(store), rowsBefore);
    });

    it('database conflict rolls back everything', async () => {
      const data = loadJson(EXAMPLE_PATH);
      const validated = await validateImport(store.db, keys.identifiers, data, { now: Date.now() });
      const plan = buildPlan(validated, sealer, await hashInitialPasswords(store.db, validated.people));

      // Between the check and the write, another person takes an e-mail of the file's last person.
      await upsertPersonByExternalId(store.db, {
        externalId: 'late-arrival',
        familyName: 'Поздний',
        givenName: 'Человек',
        middleName: null,
        birthdate: null,
        status: 'active',
      });
      await replaceIdentifiers(store.db, keys.identifiers, await personId(store, 'late-arrival'), [
        { kind: 'email', value: 'sokolov@donm.example', display: null, verified: false },
      ]);
      const rowsBefore = await snapshot(store);

      const error = await importErrorOf(() => applyImport(store, keys.identifiers, plan));

      assert.match(error.problems[0] ?? '', /^people\[3\]\.email: already belongs to another person/);
      assert.deepEqual(await snapshot(store), rowsBefore);
      assert.deepEqual(await rowCounts(store), { organizations: 0, services: 0, people: 1, identifiers: 1, roles: 0, parent_links: 0 });
    });

    it('example file imports cleanly', async () => {
      const summary = await importFile(store, keys, EXAMPLE_PATH);

      assert.equal(summary.people.created, loadJson(EXAMPLE_PATH).people.length);
    });

    it('demo file imports cleanly', async () => {
      const summary = await importFile(store, keys, DEMO_PATH);

      assert.deepEqual(summary, {
        organizations: { created: 1, updated: 0 },
        services: { created: 5, updated: 0 },
        people: { created: 5, updated: 0 },
        passwordsSet: 5,
      });
      const zhurnal = await findService(store.db, 'zhurnal');
      assert.deepEqual(zhurnal?.acceptedRoleKinds, ['teacher', 'staff']);
    });

    it('demo accounts sign in', async () => {
      await importFile(store, keys, DEMO_PATH);
      const accounts = demoAccounts();
      assert.equal(accounts.length, 5);

      for (const account of accounts) {
        const holders = new Set<string>();
        for (const candidate of readLoginIdentifier(account.login)) {
          for (const holder of await findPeopleByIdentifier(store.db, keys.identifiers, candidate.kind, candidate.value)) {
            holders.add(holder);
          }
        }
        assert.equal(holders.size, 1, `login of ${account.who} matches ${holders.size} people`);
        const [holderId] = holders;
        const person = await findPersonById(store.db, holderId ?? '');
        assert.ok(person?.passwordHash != null, `${account.who} has no password`);
        assert.equal((await verifyPassword(person.passwordHash, account.password)).ok, true, account.who);
      }
    });
  });
}

describe('import file reading', () => {
  let store: Store;
  let keys: TestKeys;
  let directory: string;

  migratedStoreHooks(
    openSqliteTestStore,
    async (opened) => {
      store = opened;
      keys = await openTestKeys(store);
      directory = await mkdtemp(path.join(os.tmpdir(), 'propusk-import-file-'));
    },
    { each: true },
  );

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function problemsForText(text: string): Promise<{ file: string; problems: string[] }> {
    const file = path.join(directory, 'records.json');
    await writeFile(file, text);
    const error = await importErrorOf(() => importFile(store, keys, file));
    return { file, problems: error.problems };
  }

  it('syntax error gives line and column', async () => {
    const text = '{\n  "people": [\n    { "id": "p-1", "snils": 12345678964 x }\n  ]\n}\n';
    const { file, problems } = await problemsForText(text);

    assert.deepEqual(problems, [`${file}: invalid JSON at line 3, column 41`]);
  });

  it('syntax error hides file content', async () => {
    const { problems } = await problemsForText('{"snils": "123-456-789 64" "password": "secret-value"}');

    assert.match(problems[0] ?? '', /invalid JSON at line 1, column 28$/);
    assert.doesNotMatch(problems.join('\n'), /123-456|secret-value/);
  });

  it('truncated file is reported', async () => {
    const { file, problems } = await problemsForText('{"people": [');

    assert.deepEqual(problems, [`${file}: invalid JSON: the file ends before the data is complete`]);
  });

  it('missing file is reported', async () => {
    const file = path.join(directory, 'absent.json');

    const error = await importErrorOf(() => importFile(store, keys, file));

    assert.deepEqual(error.problems, [`${file}: cannot read the file (ENOENT)`]);
  });

  it('byte order mark is accepted', async () => {
    const file = path.join(directory, 'bom.json');
    await writeFile(file, `\uFEFF${readFileSync(EXAMPLE_PATH, 'utf8')}`);

    const summary = await importFile(store, keys, file);

    assert.equal(summary.organizations.created, 2);
  });
});

describe('import format docs', () => {
  for (const doc of ['import-format.md', 'import-format.ru.md']) {
    it(`${doc} shows the example file`, () => {
      const text = readFileSync(fileURLPath(`../docs/${doc}`), 'utf8');
      const blocks = [...text.matchAll(/```json\n([\s\S]*?)```/g)];
      const last = blocks.at(-1)?.[1];
      assert.ok(last !== undefined, `${doc} has no JSON example`);

      assert.deepEqual(JSON.parse(last), loadJson(EXAMPLE_PATH));
    });
  }
});

runImportSuite('SQLite', openSqliteTestStore);
runImportSuite('PostgreSQL', openPostgresTestStore, await serviceGate(postgresAvailable));
