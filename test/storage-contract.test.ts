// One contract for the storage layer, run against SQLite and PostgreSQL:
// both databases must return the same domain objects with the same JS types.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { StorageError } from '../src/errors/index.js';
import { withTransaction, type Store } from '../src/storage/database.js';
import { AlreadyConsumedError, IdentifierConflictError } from '../src/storage/errors.js';
import { bindGrantRole, deleteGrantRole, findGrantRole } from '../src/storage/grant-roles.js';
import { findGrantWithRoles } from '../src/storage/grant-with-roles.js';
import { findSessionRecord } from '../src/storage/session-record.js';
import { findSessionWithGrant } from '../src/storage/session-with-grant.js';
import { purgeExpired } from '../src/storage/housekeeping.js';
import type { IdentifierCipher } from '../src/storage/identifier-cipher.js';
import { listIdentifiers, replaceIdentifiers } from '../src/storage/identifiers.js';
import { deleteKey, insertKey, listKeys, setKeyStatus } from '../src/storage/keys.js';
import { initialMigration } from '../src/storage/migrations/0001_initial.js';
import { migrateToLatest, pendingMigrations } from '../src/storage/migrations/migrate.js';
import { MIGRATIONS } from '../src/storage/migrations/registry.js';
import { createOidcAdapter, deleteExpired } from '../src/storage/oidc-adapter.js';
import { findOrganization, upsertOrganization } from '../src/storage/organizations.js';
import { linkParent, unlinkParent } from '../src/storage/parent-links.js';
import {
  findPeopleByIdentifier,
  findPersonByExternalId,
  findPersonById,
  listChildren,
  listParents,
  setPasswordHash,
  upsertPersonByExternalId,
} from '../src/storage/people.js';
import { deriveRoleId, findRole, listRoles, listRolesWithGrantRole, replaceRoles } from '../src/storage/roles.js';
import { findService, listServices, upsertService } from '../src/storage/services.js';
import { findSessionActivity, recordSessionActivity } from '../src/storage/session-activity.js';
import { deleteSessionState, getSessionState, setActiveRole } from '../src/storage/session-state.js';
import type { Person, RoleInput, ServiceInput } from '../src/storage/types.js';
import { openPostgresTestStore, openSqliteTestStore, type OpenFreshStore, type TestStore } from './helpers/databases.js';
import { openTestKeys } from './helpers/identifier-keys.js';
import { postgresAvailable, serviceGate } from './helpers/services.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HOUR_MS = 3_600_000;

function runStorageContract(name: string, openFreshStore: OpenFreshStore, gate: { skip?: string } = {}): void {
  describe(`storage contract on ${name}`, gate, () => {
    let testStore: TestStore;
    let store: Store;
    let firstMigrationRun: string[];
    let identifiers: IdentifierCipher;
    let personCounter = 0;

    before(async () => {
      testStore = await openFreshStore();
      store = testStore.store;
      firstMigrationRun = await migrateToLatest(store);
      identifiers = (await openTestKeys(store)).identifiers;
      await upsertOrganization(store.db, {
        id: 'school-1',
        kind: 'school',
        name: 'Школа № 1',
        shortName: 'Школа 1',
        region: 'Москва',
      });
    });

    after(async () => {
      await testStore?.cleanup();
    });

    function newPerson(familyName = 'Иванова', givenName = 'Анна'): Promise<Person> {
      personCounter += 1;
      return upsertPersonByExternalId(store.db, {
        externalId: `ext-${personCounter}`,
        familyName,
        givenName,
        middleName: null,
        birthdate: '2012-03-04',
        status: 'active',
      });
    }

    describe('migrations', () => {
      it('apply once and then report nothing pending', async () => {
        assert.equal(firstMigrationRun[0], '0001_initial');
        assert.deepEqual(firstMigrationRun, Object.keys(MIGRATIONS).sort());
        assert.deepEqual(await migrateToLatest(store), []);
        assert.deepEqual(await pendingMigrations(store), []);
      });

      it('name the failing migration and leave no partial tables', async () => {
        const fresh = await openFreshStore();
        try {
          const broken = {
            '0001_initial': initialMigration,
            '0002_broken': {
              async up(db: Parameters<typeof initialMigration.up>[0]) {
                await db.schema.createTable('half_done').addColumn('id', 'text').execute();
                await sql`select * from table_that_does_not_exist`.execute(db);
              },
            },
          };
          await assert.rejects(migrateToLatest(fresh.store, undefined, broken), (error: unknown) => {
            assert.ok(error instanceof StorageError);
            assert.match(error.message, /"0002_broken" failed/);
            return true;
          });
          assert.ok((await pendingMigrations(fresh.store, broken)).includes('0002_broken'));
          await assert.rejects(sql`select * from half_done`.execute(fresh.store.db));
        } finally {
          await fresh.cleanup();
        }
      });

      it('migration 0007 defaults services to RS256', async () => {
        const fresh = await openFreshStore();
        try {
          const before0007 = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '0007'));
          await migrateToLatest(fresh.store, undefined, before0007);
          const db = fresh.store.db as unknown as Kysely<any>;
          const row = {
            display_name: 'Дневник',
            home_url: 'https://diary.example',
            redirect_uris: '[]',
            post_logout_redirect_uris: '[]',
            grant_types: '["authorization_code"]',
            accepted_role_kinds: '["student"]',
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_000_000,
          };
          await db.insertInto('services').values({ ...row, client_id: 'old-diary' }).execute();

          assert.deepEqual(await migrateToLatest(fresh.store), ['0007_id_token_algorithm']);

          assert.equal((await findService(fresh.store.db, 'old-diary'))?.idTokenSignedResponseAlg, 'RS256');
          await db.insertInto('services').values({ ...row, client_id: 'new-diary' }).execute();
          assert.equal((await findService(fresh.store.db, 'new-diary'))?.idTokenSignedResponseAlg, 'RS256');
          await assert.rejects(db.insertInto('services').values({ ...row, client_id: 'null-diary', id_token_signed_response_alg: null }).execute());
        } finally {
          await fresh.cleanup();
        }
      });
    });

    describe('organizations', () => {
      it('round-trip and keep createdAt on update', async () => {
        const first = await upsertOrganization(store.db, {
          id: 'dept-1',
          kind: 'department',
          name: 'Департамент образования',
          shortName: null,
          region: 'Москва',
        });
        assert.equal(typeof first.createdAt, 'number');
        assert.equal(first.shortName, null);
        await sleep(2);

        const updated = await upsertOrganization(store.db, { ...first, name: 'ДОНМ', shortName: 'ДОНМ' });
        assert.equal(updated.createdAt, first.createdAt);
        assert.ok(updated.updatedAt > first.updatedAt);
        assert.deepEqual(await findOrganization(store.db, 'dept-1'), updated);
        assert.equal(await findOrganization(store.db, 'missing'), undefined);
      });
    });

    describe('people', () => {
      it('create with a UUID and keep it on re-import', async () => {
        const person = await newPerson();
        assert.match(person.id, UUID_V4);
        assert.equal(person.passwordHash, null);
        assert.equal(person.birthdate, '2012-03-04');
        assert.equal(typeof person.createdAt, 'number');

        const reimported = await upsertPersonByExternalId(store.db, {
          externalId: person.externalId,
          familyName: 'Петрова',
          givenName: 'Анна',
          middleName: 'Сергеевна',
          birthdate: null,
          status: 'blocked',
        });
        assert.equal(reimported.id, person.id);
        assert.equal(reimported.familyName, 'Петрова');
        assert.equal(reimported.middleName, 'Сергеевна');
        assert.equal(reimported.status, 'blocked');
        assert.equal(reimported.createdAt, person.createdAt);
        assert.deepEqual(await findPersonByExternalId(store.db, person.externalId), reimported);
      });

      it('set a password hash that re-import keeps', async () => {
        const person = await newPerson();
        assert.equal(await setPasswordHash(store.db, person.id, '$argon2id$test'), true);
        assert.equal(await setPasswordHash(store.db, '00000000-0000-4000-8000-000000000000', 'x'), false);

        await upsertPersonByExternalId(store.db, { ...person, familyName: 'Смирнова' });
        const found = await findPersonById(store.db, person.id);
        assert.equal(found?.passwordHash, '$argon2id$test');
        assert.equal(found?.familyName, 'Смирнова');
        assert.equal(await findPersonById(store.db, 'missing'), undefined);
      });

      it('find people by identifier across kinds', async () => {
        const first = await newPerson();
        const second = await newPerson();
        await replaceIdentifiers(store.db, identifiers, first.id, [{ kind: 'phone', value: '79161234567', display: null, verified: true }]);
        await replaceIdentifiers(store.db, identifiers, second.id, [{ kind: 'snils', value: '79161234567', display: null, verified: false }]);

        assert.deepEqual(await findPeopleByIdentifier(store.db, identifiers, 'phone', '79161234567'), [first.id]);
        const both = await findPeopleByIdentifier(store.db, identifiers, ['phone', 'snils', 'email'], '79161234567');
        assert.deepEqual([...both].sort(), [first.id, second.id].sort());
        assert.deepEqual(await findPeopleByIdentifier(store.db, identifiers, [], '79161234567'), []);
        assert.deepEqual(await findPeopleByIdentifier(store.db, identifiers, 'email', '79161234567'), []);
      });

      it('cascade-delete identifiers and roles with the person', async () => {
        const person = await newPerson();
        await replaceIdentifiers(store.db, identifiers, person.id, [{ kind: 'email', value: 'gone@example.ru', display: null, verified: true }]);
        await replaceRoles(store.db, person.id, [{ kind: 'parent', organizationId: null, className: null, position: null }]);

        await store.db.deleteFrom('people').where('id', '=', person.id).execute();
        assert.deepEqual(await listIdentifiers(store.db, identifiers, person.id), []);
        assert.deepEqual(await listRoles(store.db, person.id), []);
      });
    });

    describe('identifiers', () => {
      it('round-trip with booleans and keep ids of kept entries', async () => {
        const person = await newPerson();
        const first = await replaceIdentifiers(store.db, identifiers, person.id, [
          { kind: 'phone', value: '79990000001', display: null, verified: true },
          { kind: 'email', value: 'anna@example.ru', display: 'Anna@Example.ru', verified: false },
        ]);
        assert.equal(first.length, 2);
        const email = first.find((identifier) => identifier.kind === 'email');
        assert.equal(email?.verified, false);
        assert.equal(email?.display, 'Anna@Example.ru');
        assert.equal(first.find((identifier) => identifier.kind === 'phone')?.verified, true);
        assert.equal(typeof email?.id, 'number');

        const second = await replaceIdentifiers(store.db, identifiers, person.id, [
          { kind: 'email', value: 'anna@example.ru', display: 'anna@example.ru', verified: true },
        ]);
        assert.equal(second.length, 1);
        assert.equal(second[0]?.id, email?.id);
        assert.equal(second[0]?.createdAt, email?.createdAt);
        assert.equal(second[0]?.verified, true);
        assert.equal(second[0]?.display, 'anna@example.ru');
      });

      it('reject an identifier of another person and change nothing', async () => {
        const owner = await newPerson();
        const other = await newPerson();
        await replaceIdentifiers(store.db, identifiers, owner.id, [{ kind: 'email', value: 'taken@example.ru', display: null, verified: true }]);
        await replaceIdentifiers(store.db, identifiers, other.id, [{ kind: 'phone', value: '79990000002', display: null, verified: true }]);

        const attempt = replaceIdentifiers(store.db, identifiers, other.id, [
          { kind: 'phone', value: '79990000003', display: null, verified: true },
          { kind: 'email', value: 'taken@example.ru', display: null, verified: true },
        ]);
        await assert.rejects(attempt, (error: unknown) => {
          assert.ok(error instanceof IdentifierConflictError);
          assert.equal(error.kind, 'email');
          assert.equal(error.code, 'conflict');
          assert.doesNotMatch(error.message, /taken@example/);
          return true;
        });
        const kept = await listIdentifiers(store.db, identifiers, other.id);
        assert.deepEqual(
          kept.map((identifier) => identifier.value),
          ['79990000002'],
        );
        assert.deepEqual(await findPeopleByIdentifier(store.db, identifiers, 'email', 'taken@example.ru'), [owner.id]);
      });

      it('reject the same identifier twice in one list', async () => {
        const person = await newPerson();
        const entry = { kind: 'phone', value: '79990000004', display: null, verified: true } as const;
        await assert.rejects(replaceIdentifiers(store.db, identifiers, person.id, [entry, entry]), TypeError);
      });
    });

    describe('roles', () => {
      const student: RoleInput = { kind: 'student', organizationId: 'school-1', className: '5 «А»', position: null };
      const parent: RoleInput = { kind: 'parent', organizationId: null, className: null, position: null };
      const teacher: RoleInput = { kind: 'teacher', organizationId: 'school-1', className: null, position: null };

      it('keep ids stable across replaceRoles', async () => {
        const person = await newPerson();
        const first = await replaceRoles(store.db, person.id, [student, parent]);
        assert.deepEqual(first.removedRoleIds, []);
        assert.equal(first.roles.length, 2);
        const studentRole = first.roles.find((role) => role.kind === 'student');
        assert.match(studentRole?.id ?? '', /^[0-9a-f]{32}$/);
        assert.equal(studentRole?.id, deriveRoleId(person.id, student));
        assert.equal(studentRole?.organizationName, 'Школа № 1');
        assert.equal(studentRole?.organizationShortName, 'Школа 1');
        assert.equal(studentRole?.className, '5 «А»');

        const second = await replaceRoles(store.db, person.id, [parent, student, teacher, teacher]);
        assert.deepEqual(second.removedRoleIds, []);
        assert.equal(second.roles.length, 3);
        assert.equal(second.roles.find((role) => role.kind === 'student')?.id, studentRole?.id);
        assert.equal(second.roles.find((role) => role.kind === 'student')?.createdAt, studentRole?.createdAt);

        const third = await replaceRoles(store.db, person.id, [teacher]);
        assert.deepEqual([...third.removedRoleIds].sort(), [deriveRoleId(person.id, student), deriveRoleId(person.id, parent)].sort());
        assert.deepEqual(
          third.roles.map((role) => role.kind),
          ['teacher'],
        );
      });

      it('derive different ids for different people and fields', async () => {
        const other = { ...student, className: '5 «Б»' };
        assert.notEqual(deriveRoleId('p1', student), deriveRoleId('p2', student));
        assert.notEqual(deriveRoleId('p1', student), deriveRoleId('p1', other));
        assert.equal(deriveRoleId('p1', student), deriveRoleId('p1', { ...student }));
      });

      it('find a role by id with its organization', async () => {
        const person = await newPerson();
        const { roles } = await replaceRoles(store.db, person.id, [teacher]);
        const found = await findRole(store.db, roles[0]?.id ?? '');
        assert.equal(found?.personId, person.id);
        assert.equal(found?.organizationName, 'Школа № 1');
        assert.equal(await findRole(store.db, 'missing'), undefined);
      });

      it('reject a role of an unknown organization', async () => {
        const person = await newPerson();
        const orphan: RoleInput = { ...teacher, organizationId: 'school-unknown' };
        await assert.rejects(replaceRoles(store.db, person.id, [orphan]));
        assert.deepEqual(await listRoles(store.db, person.id), []);
      });
    });

    describe('parent links', () => {
      it('list children with school and class, and parents', async () => {
        const mother = await newPerson('Кузнецова', 'Мария');
        const father = await newPerson('Кузнецов', 'Пётр');
        const son = await newPerson('Кузнецов', 'Иван');
        const daughter = await newPerson('Кузнецова', 'Алла');
        await replaceRoles(store.db, son.id, [{ kind: 'student', organizationId: 'school-1', className: '7 «В»', position: null }]);
        await linkParent(store.db, mother.id, son.id);
        await linkParent(store.db, mother.id, son.id);
        await linkParent(store.db, mother.id, daughter.id);
        await linkParent(store.db, father.id, son.id);

        const children = await listChildren(store.db, mother.id);
        assert.deepEqual(
          children.map((entry) => entry.child.givenName),
          ['Иван', 'Алла'],
        );
        assert.equal(children[0]?.studentRoles[0]?.organizationName, 'Школа № 1');
        assert.equal(children[0]?.studentRoles[0]?.className, '7 «В»');
        assert.deepEqual(children[1]?.studentRoles, []);
        assert.equal('passwordHash' in (children[0]?.child ?? {}), false);

        const parents = await listParents(store.db, son.id);
        assert.deepEqual(
          parents.map((person) => person.givenName),
          ['Пётр', 'Мария'],
        );

        assert.equal(await unlinkParent(store.db, father.id, son.id), true);
        assert.equal(await unlinkParent(store.db, father.id, son.id), false);
        assert.deepEqual(await listChildren(store.db, father.id), []);
      });
    });

    describe('services', () => {
      const service: ServiceInput = {
        clientId: 'diary',
        clientSecretEncrypted: null,
        displayName: 'Электронный дневник',
        homeUrl: 'https://diary.example',
        redirectUris: ['https://diary.example/callback', 'https://diary.example/alt'],
        postLogoutRedirectUris: [],
        grantTypes: ['authorization_code', 'refresh_token'],
        acceptedRoleKinds: ['student', 'parent'],
        backchannelLogoutUri: null,
        idTokenSignedResponseAlg: 'RS256',
      };

      it('round-trip JSON arrays and update by client id', async () => {
        const stored = await upsertService(store.db, service);
        assert.deepEqual(stored.redirectUris, service.redirectUris);
        assert.deepEqual(stored.postLogoutRedirectUris, []);
        assert.ok(Array.isArray(stored.grantTypes));
        assert.equal(stored.clientSecretEncrypted, null);
        assert.equal(typeof stored.createdAt, 'number');

        const updated = await upsertService(store.db, {
          ...service,
          clientSecretEncrypted: 'sealed-secret',
          acceptedRoleKinds: ['teacher'],
          backchannelLogoutUri: 'https://diary.example/logout',
          idTokenSignedResponseAlg: 'ES256',
        });
        assert.equal(stored.idTokenSignedResponseAlg, 'RS256');
        assert.equal(updated.createdAt, stored.createdAt);
        assert.deepEqual(await findService(store.db, 'diary'), updated);
        assert.deepEqual(updated.acceptedRoleKinds, ['teacher']);
        assert.equal(updated.idTokenSignedResponseAlg, 'ES256');
        assert.equal(await findService(store.db, 'missing'), undefined);
      });

      it('list services in client id order', async () => {
        await upsertService(store.db, { ...service, clientId: 'a_library' });
        await upsertService(store.db, { ...service, clientId: 'a-journal' });
        const ids = (await listServices(store.db)).map((entry) => entry.clientId);
        assert.deepEqual(ids, [...ids].sort());
        assert.ok(ids.includes('a_library'));
        assert.ok(ids.includes('a-journal'));
      });
    });

    describe('keys', () => {
      it('list newest first, change status and delete', async () => {
        await insertKey(store.db, { kid: 'cookie-old', use: 'cookie', alg: null, materialEncrypted: 'm1', status: 'current' });
        await sleep(2);
        await insertKey(store.db, { kid: 'cookie-new', use: 'cookie', alg: null, materialEncrypted: 'm2', status: 'current' });
        await insertKey(store.db, { kid: 'sig-1', use: 'sig', alg: 'RS256', materialEncrypted: 'm3', status: 'current' });

        const cookies = await listKeys(store.db, 'cookie');
        assert.deepEqual(
          cookies.map((key) => key.kid),
          ['cookie-new', 'cookie-old'],
        );
        assert.equal(typeof cookies[0]?.createdAt, 'number');
        assert.equal((await listKeys(store.db, 'sig'))[0]?.alg, 'RS256');

        assert.equal(await setKeyStatus(store.db, 'cookie-old', 'previous'), true);
        assert.equal(await setKeyStatus(store.db, 'missing', 'previous'), false);
        assert.equal((await listKeys(store.db, 'cookie'))[1]?.status, 'previous');
        assert.equal(await deleteKey(store.db, 'cookie-old'), true);
        assert.equal(await deleteKey(store.db, 'cookie-old'), false);
        assert.equal((await listKeys(store.db, 'cookie')).length, 1);
      });
    });

    describe('session state and grant roles', () => {
      it('set, change, expire and delete the active role of a session', async () => {
        const person = await newPerson();
        const expiresAt = Date.now() + HOUR_MS;
        await setActiveRole(store.db, 'session-1', person.id, 'role-a', expiresAt);
        assert.deepEqual(await getSessionState(store.db, 'session-1'), {
          sessionUid: 'session-1',
          personId: person.id,
          activeRoleId: 'role-a',
          expiresAt,
        });

        await setActiveRole(store.db, 'session-1', person.id, null, expiresAt);
        assert.equal((await getSessionState(store.db, 'session-1'))?.activeRoleId, null);
        assert.equal(await getSessionState(store.db, 'session-1', expiresAt), undefined);

        await deleteSessionState(store.db, 'session-1');
        assert.equal(await getSessionState(store.db, 'session-1'), undefined);
      });

      it('session check reads session state', async () => {
        const person = await newPerson();
        const now = Date.now();
        const activity = { sessionUid: 'session-j', personId: person.id, authenticatedAt: now, lastActiveAt: now, sharedDevice: false, expiresAt: now + HOUR_MS };
        await recordSessionActivity(store.db, activity);
        const withoutState = await findSessionActivity(store.db, 'session-j', now);
        assert.equal(withoutState?.person.id, person.id);
        assert.equal(withoutState?.sessionState, undefined);

        const expiresAt = now + HOUR_MS;
        await setActiveRole(store.db, 'session-j', person.id, 'role-a', expiresAt);
        const facts = await findSessionActivity(store.db, 'session-j', now);
        assert.deepEqual(facts?.sessionState, await getSessionState(store.db, 'session-j', now));
        assert.deepEqual(facts?.sessionState, { sessionUid: 'session-j', personId: person.id, activeRoleId: 'role-a', expiresAt });
        assert.equal(facts?.expiresAt, activity.expiresAt, 'the activity keeps its own expiry');

        const expired = await findSessionActivity(store.db, 'session-j', expiresAt);
        assert.equal(expired?.person.id, person.id, 'an expired state leaves the session');
        assert.equal(expired?.sessionState, undefined);
      });

      it('bind, expire and delete the role of a grant', async () => {
        const person = await newPerson();
        const binding = { grantId: 'grant-1', personId: person.id, clientId: 'diary', roleId: 'role-a', expiresAt: null };
        await bindGrantRole(store.db, binding);
        assert.deepEqual(await findGrantRole(store.db, 'grant-1'), binding);

        const expiresAt = Date.now() + HOUR_MS;
        await bindGrantRole(store.db, { ...binding, roleId: 'role-b', expiresAt });
        assert.equal((await findGrantRole(store.db, 'grant-1'))?.roleId, 'role-b');
        assert.equal(await findGrantRole(store.db, 'grant-1', expiresAt), undefined);

        await deleteGrantRole(store.db, 'grant-1');
        assert.equal(await findGrantRole(store.db, 'grant-1'), undefined);
      });

      it('list roles with the grant role', async () => {
        const person = await newPerson();
        const { roles } = await replaceRoles(store.db, person.id, [
          { kind: 'parent', organizationId: null, className: null, position: null },
          { kind: 'teacher', organizationId: 'school-1', className: null, position: null },
        ]);
        const roleId = roles[1]?.id ?? '';
        assert.deepEqual(await listRolesWithGrantRole(store.db, person.id, 'grant-roles-1'), { roles, grantRoleId: null });

        const expiresAt = Date.now() + HOUR_MS;
        await bindGrantRole(store.db, { grantId: 'grant-roles-1', personId: person.id, clientId: 'diary', roleId, expiresAt });
        assert.deepEqual(await listRolesWithGrantRole(store.db, person.id, 'grant-roles-1'), { roles, grantRoleId: roleId });
        assert.deepEqual(await listRolesWithGrantRole(store.db, person.id, 'grant-roles-1', expiresAt), { roles, grantRoleId: null });
        assert.deepEqual(await listRolesWithGrantRole(store.db, person.id, 'grant-other'), { roles, grantRoleId: null });
      });

      it('grant lookup reads the grant with its roles, as listRolesWithGrantRole does', async () => {
        const person = await newPerson();
        const { roles } = await replaceRoles(store.db, person.id, [
          { kind: 'parent', organizationId: null, className: null, position: null },
          { kind: 'teacher', organizationId: 'school-1', className: null, position: null },
        ]);
        const roleId = roles[1]?.id ?? '';
        const grants = new (createOidcAdapter(store))('Grant');
        await grants.upsert('grant-read-1', { accountId: person.id, clientId: 'diary', jti: 'grant-read-1', kind: 'Grant', openid: { scope: 'openid roles' } }, 3600);
        const now = Date.now();

        const unbound = await findGrantWithRoles(store.db, 'grant-read-1', now);
        assert.deepEqual(unbound?.payload, await grants.find('grant-read-1'));
        assert.equal(unbound?.roles, undefined, 'without a bound role the claims read the roles themselves');

        const expiresAt = now + HOUR_MS;
        await bindGrantRole(store.db, { grantId: 'grant-read-1', personId: person.id, clientId: 'diary', roleId, expiresAt });
        const bound = await findGrantWithRoles(store.db, 'grant-read-1', now);
        assert.deepEqual(bound?.payload, await grants.find('grant-read-1'));
        assert.deepEqual(bound?.roles, { personId: person.id, ...(await listRolesWithGrantRole(store.db, person.id, 'grant-read-1', now)) });
        assert.equal(bound?.roles?.grantRoleId, roleId);
        assert.equal((await findGrantWithRoles(store.db, 'grant-read-1', expiresAt))?.roles, undefined, 'an expired binding reads as none');

        await replaceRoles(store.db, person.id, []);
        assert.deepEqual((await findGrantWithRoles(store.db, 'grant-read-1', now))?.roles, { personId: person.id, grantRoleId: null, roles: [] });
        assert.equal(await findGrantWithRoles(store.db, 'grant-read-1', now + 3_601_000), undefined, 'an expired grant is not found');
        assert.equal(await findGrantWithRoles(store.db, 'grant-none', now), undefined);
      });

      it('session check reads a grant along, as the two lookups do', async () => {
        const person = await newPerson();
        const { roles } = await replaceRoles(store.db, person.id, [
          { kind: 'parent', organizationId: null, className: null, position: null },
          { kind: 'teacher', organizationId: 'school-1', className: null, position: null },
        ]);
        const now = Date.now();
        await recordSessionActivity(store.db, { sessionUid: 'session-g', personId: person.id, authenticatedAt: now, lastActiveAt: now, sharedDevice: false, expiresAt: now + HOUR_MS });
        await setActiveRole(store.db, 'session-g', person.id, roles[0]?.id ?? null, now + HOUR_MS);
        const grants = new (createOidcAdapter(store))('Grant');
        await grants.upsert('grant-along-1', { accountId: person.id, clientId: 'diary', jti: 'grant-along-1', kind: 'Grant', openid: { scope: 'openid roles' } }, 3600);
        await bindGrantRole(store.db, { grantId: 'grant-along-1', personId: person.id, clientId: 'diary', roleId: roles[1]?.id ?? '', expiresAt: null });

        const both = async (at: number, grantId = 'grant-along-1') => ({ facts: await findSessionActivity(store.db, 'session-g', at), grant: await findGrantWithRoles(store.db, grantId, at) });
        const along = await findSessionWithGrant(store.db, 'session-g', 'grant-along-1', now);
        assert.deepEqual(along, await both(now));
        assert.equal(along?.grant?.roles?.roles.length, 2, 'one row per role of the person');
        assert.equal(along?.facts.sessionState?.activeRoleId, roles[0]?.id);

        assert.deepEqual(await findSessionWithGrant(store.db, 'session-g', 'grant-none', now), await both(now, 'grant-none'), 'a missing grant leaves the session');
        assert.deepEqual(await findSessionWithGrant(store.db, 'session-g', 'grant-along-1', now + 3_601_000), await both(now + 3_601_000), 'an expired grant is not found');
        assert.equal(await findSessionWithGrant(store.db, 'session-none', 'grant-along-1', now), undefined, 'no session, no result');

        await replaceRoles(store.db, person.id, []);
        assert.deepEqual((await findSessionWithGrant(store.db, 'session-g', 'grant-along-1', now))?.grant?.roles, { personId: person.id, grantRoleId: null, roles: [] });
      });
      it('session record matches the separate lookups', async () => {
        const person = await newPerson();
        const { roles } = await replaceRoles(store.db, person.id, [{ kind: 'parent', organizationId: null, className: null, position: null }]);
        const now = Date.now();
        const sessions = new (createOidcAdapter(store))('Session');
        const grants = new (createOidcAdapter(store))('Grant');
        await sessions.upsert('session-rec-id', { uid: 'session-rec', accountId: person.id, jti: 'session-rec-id', kind: 'Session' }, 3600);
        await sessions.upsert('session-bare-id', { uid: 'session-bare', jti: 'session-bare-id', kind: 'Session' }, 3600);
        await recordSessionActivity(store.db, { sessionUid: 'session-rec', personId: person.id, authenticatedAt: now, lastActiveAt: now, sharedDevice: false, expiresAt: now + HOUR_MS });
        await setActiveRole(store.db, 'session-rec', person.id, roles[0]?.id ?? null, now + HOUR_MS);
        await grants.upsert('grant-rec', { accountId: person.id, clientId: 'diary', jti: 'grant-rec', kind: 'Grant' }, 3600);
        await bindGrantRole(store.db, { grantId: 'grant-rec', personId: person.id, clientId: 'diary', roleId: roles[0]?.id ?? '', expiresAt: null });

        const facts = await findSessionActivity(store.db, 'session-rec', now);
        const byId = await findSessionRecord(store.db, 'id', 'session-rec-id', now);
        assert.deepEqual(byId, { payload: await sessions.find('session-rec-id'), facts, grant: undefined });
        assert.deepEqual(await findSessionRecord(store.db, 'uid', 'session-rec', now), byId);

        const withGrant = await findSessionRecord(store.db, 'uid', 'session-rec', now, 'grant-rec');
        assert.deepEqual(withGrant, { payload: byId?.payload, facts, grant: await findGrantWithRoles(store.db, 'grant-rec', now) });
        assert.equal(withGrant?.grant?.roles?.grantRoleId, roles[0]?.id);
        assert.deepEqual(await findSessionRecord(store.db, 'uid', 'session-rec', now, 'grant-none'), byId, 'a missing grant reads as none');

        // Racing requests of one browser can leave two live records with one uid.
        await sessions.upsert('session-rec-copy', { uid: 'session-rec', accountId: person.id, jti: 'session-rec-copy', kind: 'Session' }, 3600);
        const twice = await findSessionRecord(store.db, 'uid', 'session-rec', now, 'grant-rec');
        assert.deepEqual(twice?.grant, withGrant?.grant, 'the roles are not repeated per record');
        assert.equal(twice?.grant?.roles?.roles.length, 1);

        const bare = await findSessionRecord(store.db, 'id', 'session-bare-id', now, 'grant-rec');
        assert.equal((bare?.payload as { uid?: string } | undefined)?.uid, 'session-bare');
        assert.equal(bare?.facts, undefined, 'a session without an activity row has no facts');
        assert.equal(await findSessionRecord(store.db, 'id', 'session-rec-id', now + 3_601_000), undefined, 'an expired record is not found');
        assert.equal(await findSessionRecord(store.db, 'id', 'grant-rec', now), undefined, 'only Session records are found');
      });
    });

    describe('oidc-provider adapter', () => {
      let now = 1_700_000_000_000;
      const clock = () => now;

      it('fit the oidc-provider adapter interface', () => {
        const adapterClass: AdapterConstructor = createOidcAdapter<AdapterPayload>(store);
        assert.equal(typeof new adapterClass('Session').upsert, 'function');
      });

      it('upsert, find and expire records per model', async () => {
        const Adapter = createOidcAdapter(store, clock);
        const sessions = new Adapter('Session');
        const codes = new Adapter('AuthorizationCode');
        await sessions.upsert('s-1', { uid: 'uid-1', accountId: 'person', nested: { list: [1, 2] } }, 60);

        assert.deepEqual(await sessions.find('s-1'), { uid: 'uid-1', accountId: 'person', nested: { list: [1, 2] } });
        assert.equal(await codes.find('s-1'), undefined);
        assert.equal((await sessions.findByUid('uid-1'))?.accountId, 'person');
        assert.equal(await codes.findByUid('uid-1'), undefined);

        now += 59_000;
        assert.notEqual(await sessions.find('s-1'), undefined);
        now += 1_000;
        assert.equal(await sessions.find('s-1'), undefined);
        assert.equal(await sessions.findByUid('uid-1'), undefined);

        await sessions.upsert('s-2', { uid: 'uid-2' });
        now += 365 * 24 * HOUR_MS;
        assert.equal((await sessions.find('s-2'))?.uid, 'uid-2');
      });

      it('one statement for several models of an id', async () => {
        const Adapter = createOidcAdapter(store, clock);
        const models = ['AccessToken', 'ClientCredentials', 'RefreshToken', 'AuthorizationCode'];
        const adapters = models.map((model) => new Adapter(model));
        const [accessTokens, clientTokens, refreshTokens, codes] = adapters as [InstanceType<typeof Adapter>, InstanceType<typeof Adapter>, InstanceType<typeof Adapter>, InstanceType<typeof Adapter>];
        await accessTokens.upsert('shared-id', { kind: 'AccessToken' }, 600);
        await refreshTokens.upsert('shared-id', { kind: 'RefreshToken' }, 1);
        await codes.upsert('shared-id', { kind: 'AuthorizationCode' }, 600);
        now += 1_000;

        const executor = store.db.getExecutor();
        const execute = executor.executeQuery.bind(executor);
        const statements: string[] = [];
        executor.executeQuery = ((query: { sql: string }, ...rest: unknown[]) => {
          statements.push(query.sql);
          return (execute as (...args: unknown[]) => ReturnType<typeof execute>)(query, ...rest);
        }) as typeof executor.executeQuery;
        try {
          const [access, client] = await Promise.all([accessTokens.find('shared-id'), clientTokens.find('shared-id')]);
          assert.equal(access?.kind, 'AccessToken');
          assert.equal(client, undefined);
          assert.equal(statements.length, 1, `expected one statement, got:\n${statements.join('\n')}`);

          // Four models take two statements (at most three per statement), and the expired refresh token reads as missing.
          statements.length = 0;
          const found = await Promise.all(adapters.map((adapter) => adapter.find('shared-id')));
          assert.deepEqual(
            found.map((payload) => payload?.kind),
            ['AccessToken', undefined, undefined, 'AuthorizationCode'],
          );
          assert.equal(statements.length, 2);

          // Different ids in the same tick are read separately, each with its own record.
          statements.length = 0;
          await accessTokens.upsert('other-id', { kind: 'other' }, 600);
          statements.length = 0;
          const [first, second] = await Promise.all([accessTokens.find('shared-id'), accessTokens.find('other-id')]);
          assert.equal(first?.kind, 'AccessToken');
          assert.equal(second?.kind, 'other');
          assert.equal(statements.length, 2);
        } finally {
          executor.executeQuery = execute;
        }
      });

      it('find a device code by user code', async () => {
        const Adapter = createOidcAdapter(store, clock);
        const deviceCodes = new Adapter('DeviceCode');
        await deviceCodes.upsert('dc-1', { userCode: 'ABCD-EFGH', grantId: 'g-device' }, 600);
        assert.equal((await deviceCodes.findByUserCode('ABCD-EFGH'))?.grantId, 'g-device');
        assert.equal(await deviceCodes.findByUserCode('ZZZZ-ZZZZ'), undefined);
      });

      it('consume once, atomically, and keep it consumed', async () => {
        const Adapter = createOidcAdapter(store, clock);
        const codes = new Adapter('AuthorizationCode');
        await codes.upsert('code-1', { grantId: 'g-1', clientId: 'diary' }, 600);
        assert.equal((await codes.find('code-1'))?.consumed, undefined);

        await codes.consume('code-1');
        const consumed = await codes.find('code-1');
        assert.equal(consumed?.consumed, Math.floor(now / 1000));
        await assert.rejects(codes.consume('code-1'), AlreadyConsumedError);
        await assert.rejects(codes.consume('missing'), AlreadyConsumedError);

        await codes.upsert('code-1', { grantId: 'g-1', clientId: 'diary' }, 600);
        assert.equal((await codes.find('code-1'))?.consumed, Math.floor(now / 1000));

        await codes.upsert('code-2', { grantId: 'g-1' }, 600);
        const results = await Promise.allSettled(Array.from({ length: 8 }, () => codes.consume('code-2')));
        assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      });

      it('revoke grant-bound records by grant id only', async () => {
        const Adapter = createOidcAdapter(store, clock);
        const accessTokens = new Adapter('AccessToken');
        const refreshTokens = new Adapter('RefreshToken');
        const interactions = new Adapter('Interaction');
        await accessTokens.upsert('at-1', { grantId: 'g-revoke' }, 600);
        await refreshTokens.upsert('rt-1', { grantId: 'g-revoke' }, 600);
        await accessTokens.upsert('at-2', { grantId: 'g-keep' }, 600);
        await interactions.upsert('i-1', { grantId: 'g-revoke' }, 600);

        await accessTokens.revokeByGrantId('g-revoke');
        assert.equal(await accessTokens.find('at-1'), undefined);
        assert.equal(await refreshTokens.find('rt-1'), undefined);
        assert.notEqual(await accessTokens.find('at-2'), undefined);
        assert.notEqual(await interactions.find('i-1'), undefined);
      });

      it('destroy one record and leave clients to the caller', async () => {
        const Adapter = createOidcAdapter(store, clock);
        const grants = new Adapter('Grant');
        await grants.upsert('grant-x', { accountId: 'person' }, 600);
        await grants.destroy('grant-x');
        assert.equal(await grants.find('grant-x'), undefined);

        const clients = new Adapter('Client');
        assert.equal(await clients.find('diary'), undefined);
        await assert.rejects(clients.upsert('diary', { client_id: 'diary' }), StorageError);
      });

      it('delete expired records in housekeeping', async () => {
        const Adapter = createOidcAdapter(store, clock);
        const interactions = new Adapter('Interaction');
        await interactions.upsert('old', {}, 1);
        await interactions.upsert('forever', {});
        assert.ok((await deleteExpired(store, now + 1_000)) >= 1);
        const row = await store.db.selectFrom('oidc_payloads').select('id').where('id', '=', 'old').executeTakeFirst();
        assert.equal(row, undefined);
        assert.notEqual(await interactions.find('forever'), undefined);
      });
    });

    describe('portable types and transactions', () => {
      it('read raw flags and timestamps back as numbers', async () => {
        const person = await newPerson();
        await replaceIdentifiers(store.db, identifiers, person.id, [{ kind: 'phone', value: '79990000009', display: null, verified: true }]);
        const row = await store.db
          .selectFrom('identifiers')
          .select(['verified', 'created_at'])
          .where('person_id', '=', person.id)
          .executeTakeFirstOrThrow();
        assert.equal(row.verified, 1);
        assert.equal(typeof row.created_at, 'number');
        assert.ok(Math.abs(row.created_at - Date.now()) < HOUR_MS);
      });

      it('write nothing when a transaction fails', async () => {
        await assert.rejects(
          withTransaction(store, async (trx) => {
            await upsertOrganization(trx, { id: 'school-rollback', kind: 'school', name: 'Откат', shortName: null, region: 'Москва' });
            await upsertPersonByExternalId(trx, {
              externalId: 'ext-rollback',
              familyName: 'Откатов',
              givenName: 'Олег',
              middleName: null,
              birthdate: null,
              status: 'active',
            });
            throw new Error('abort on purpose');
          }),
          /abort on purpose/,
        );
        assert.equal(await findOrganization(store.db, 'school-rollback'), undefined);
        assert.equal(await findPersonByExternalId(store.db, 'ext-rollback'), undefined);
      });

      it('join an outer transaction in replaceRoles', async () => {
        const person = await newPerson();
        const parent: RoleInput = { kind: 'parent', organizationId: null, className: null, position: null };
        await assert.rejects(
          withTransaction(store, async (trx) => {
            await replaceRoles(trx, person.id, [parent]);
            throw new Error('abort on purpose');
          }),
        );
        assert.deepEqual(await listRoles(store.db, person.id), []);
      });

      it('purge expired session states, grant roles and payloads', async () => {
        const person = await newPerson();
        const past = Date.now() - 1_000;
        await setActiveRole(store.db, 'session-expired', person.id, null, past);
        await bindGrantRole(store.db, { grantId: 'grant-expired', personId: person.id, clientId: 'diary', roleId: 'r', expiresAt: past });
        const counts = await purgeExpired(store, Date.now());
        assert.ok(counts.sessionStates >= 1);
        assert.ok(counts.grantRoles >= 1);
        assert.equal(typeof counts.oidcPayloads, 'number');
        const left = await store.db.selectFrom('session_state').select('session_uid').where('session_uid', '=', 'session-expired').execute();
        assert.deepEqual(left, []);
      });
    });
  });
}

runStorageContract('SQLite', openSqliteTestStore);
runStorageContract('PostgreSQL', openPostgresTestStore, await serviceGate(postgresAvailable));
