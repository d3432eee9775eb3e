import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IllegalTransitionError, LOGIN_TRANSITIONS, transition, type LoginEvent, type LoginState } from '../src/flows/login/states.js';
import { translator } from '../src/i18n/translate.js';
import type { Role } from '../src/roles/kinds.js';
import { roleLabel } from '../src/roles/labels.js';
import { decideRole } from '../src/roles/selection.js';

const school = { id: 'school-1', name: 'ГБОУ «Школа № 1»', shortName: 'Школа № 1' };
const teacher: Role = { id: 't', kind: 'teacher', organization: school, className: null, position: null, children: [] };
const parent: Role = {
  id: 'p',
  kind: 'parent',
  organization: null,
  className: null,
  position: null,
  children: [{ personId: 'c', familyName: 'Петров', givenName: 'Иван', middleName: null, organization: school, className: '5 «А»' }],
};
const staff: Role = { id: 's', kind: 'staff', organization: school, className: null, position: 'deputy_head', children: [] };

describe('role decision', () => {
  const cases: Array<[string, Parameters<typeof decideRole>[0], string]> = [
    ['no accepted role', { roles: [teacher], acceptedKinds: ['parent', 'student'], activeRoleId: null, chooserRequested: false }, 'unavailable'],
    ['one accepted role', { roles: [teacher, parent], acceptedKinds: ['teacher', 'staff'], activeRoleId: null, chooserRequested: false }, 'use:t'],
    ['two accepted, none active', { roles: [teacher, parent], acceptedKinds: ['teacher', 'parent'], activeRoleId: null, chooserRequested: false }, 'ask:t,p'],
    ['two accepted, one active', { roles: [teacher, parent], acceptedKinds: ['teacher', 'parent'], activeRoleId: 'p', chooserRequested: false }, 'use:p'],
    ['active not accepted, one accepted', { roles: [teacher, parent], acceptedKinds: ['parent'], activeRoleId: 't', chooserRequested: false }, 'use:p'],
    ['chooser requested with one role', { roles: [teacher], acceptedKinds: ['teacher'], activeRoleId: 't', chooserRequested: true }, 'ask:t'],
    ['chooser requested, nothing accepted', { roles: [teacher], acceptedKinds: ['student'], activeRoleId: 't', chooserRequested: true }, 'unavailable'],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      const decision = decideRole(input);
      const summary =
        decision.outcome === 'unavailable'
          ? 'unavailable'
          : decision.outcome === 'use'
            ? `use:${decision.role.id}`
            : `ask:${decision.roles.map((r) => r.id).join(',')}`;
      assert.equal(summary, expected);
    });
  }
});

describe('role labels', () => {
  test('as their owners know them', () => {
    const ru = translator('ru');
    assert.equal(roleLabel(teacher, ru), 'Учитель — Школа № 1');
    assert.equal(roleLabel(parent, ru), 'Родитель — Петров Иван, 5 «А»');
    assert.equal(roleLabel(staff, ru), 'Завуч — Школа № 1');
    assert.equal(roleLabel(staff, translator('en')), 'Deputy head — Школа № 1');
  });
});

describe('login flow transitions', () => {
  test('every listed transition is allowed and nothing else', () => {
    const events: LoginEvent[] = [
      'credentials_rejected', 'credentials_accepted', 'role_decided', 'role_needs_choice',
      'role_chosen', 'no_accepted_role', 'back_to_service', 'grant_covered',
    ];
    for (const [state, allowed] of Object.entries(LOGIN_TRANSITIONS) as Array<[LoginState, Partial<Record<LoginEvent, LoginState>>]>) {
      for (const event of events) {
        const next = allowed[event];
        if (next === undefined) {
          assert.throws(() => transition(state, event), IllegalTransitionError, `${state} + ${event}`);
        } else {
          assert.equal(transition(state, event), next);
        }
      }
    }
  });

  test('the role step cannot be skipped by posting credentials to it', () => {
    assert.throws(() => transition('role', 'credentials_accepted'), IllegalTransitionError);
    assert.throws(() => transition('returned', 'role_chosen'), IllegalTransitionError);
  });
});
