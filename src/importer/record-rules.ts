import type { PersonRecord, RoleRecord, ServiceRecord } from './format.js';
import type { ParsedRecord } from './parse-records.js';
import { checkInitialPassword } from './password-rules.js';
import type { ProblemList } from './problems.js';

/*
 * Rules that involve several fields of one record. Each rule looks only at
 * fields that are valid on their own, so a bad field elsewhere in the record
 * does not hide its problems.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

const IDENTIFIER_FIELDS = ['phone', 'email', 'snils'] as const;

export function checkPerson(person: ParsedRecord<PersonRecord>, now: number, problems: ProblemList): void {
  const path = ['people', person.index] as const;
  const { fields } = person;

  const hasIdentifier = IDENTIFIER_FIELDS.some((field) => person.invalid.has(field) || (fields[field] ?? null) !== null);
  if (!hasIdentifier) {
    problems.add(path, 'must have at least one identifier: phone, email or snils');
  }

  // A day of slack, so that a date that is already today east of UTC passes.
  const latestBirthdate = new Date(now + DAY_MS).toISOString().slice(0, 10);
  if (typeof fields.birthdate === 'string' && fields.birthdate > latestBirthdate) {
    problems.add([...path, 'birthdate'], 'must not be in the future');
  }

  checkInitialPassword(person, problems);

  if (fields.roles !== undefined) {
    checkRepeatedRoles(fields.roles, path, problems);
  }
  if (fields.children !== undefined) {
    checkChildList(fields.children, fields.id, path, problems);
  }
  if (fields.roles !== undefined && fields.children !== undefined) {
    const isParent = fields.roles.some((role) => role.kind === 'parent');
    if (isParent && fields.children.length === 0) {
      problems.add([...path, 'children'], 'must list at least one child, because the person has a parent role');
    }
    if (!isParent && fields.children.length > 0) {
      problems.add([...path, 'children'], 'is only allowed for a person with a parent role');
    }
  }
}

function checkRepeatedRoles(roles: readonly RoleRecord[], path: readonly [string, number], problems: ProblemList): void {
  const firstIndex = new Map<string, number>();
  roles.forEach((role, index) => {
    const key = JSON.stringify([role.kind, role.organization, role.class, role.position]);
    const earlier = firstIndex.get(key);
    if (earlier === undefined) {
      firstIndex.set(key, index);
    } else {
      problems.add([...path, 'roles', index], `repeats roles[${earlier}]`);
    }
  });
}

function checkChildList(
  children: readonly string[],
  ownId: string | undefined,
  path: readonly [string, number],
  problems: ProblemList,
): void {
  const firstIndex = new Map<string, number>();
  children.forEach((child, index) => {
    if (child === ownId) {
      problems.add([...path, 'children', index], 'a person cannot be their own child');
    }
    const earlier = firstIndex.get(child);
    if (earlier === undefined) {
      firstIndex.set(child, index);
    } else {
      problems.add([...path, 'children', index], `repeats children[${earlier}]`);
    }
  });
}

export function checkService(service: ParsedRecord<ServiceRecord>, problems: ProblemList): void {
  const path = ['services', service.index] as const;
  const { fields } = service;
  const grantTypes = fields.grant_types;
  if (grantTypes === undefined) {
    return;
  }

  const usesCode = grantTypes.includes('authorization_code');
  if (usesCode && fields.redirect_uris !== undefined && fields.redirect_uris.length === 0) {
    problems.add([...path, 'redirect_uris'], 'must list at least one URI, because grant_types includes authorization_code');
  }
  if (grantTypes.includes('refresh_token') && !usesCode) {
    problems.add([...path, 'grant_types'], 'refresh_token is only allowed together with authorization_code');
  }
  // A public client cannot authenticate itself, so it cannot act on its own behalf.
  if (grantTypes.includes('client_credentials') && fields.client_secret === null) {
    problems.add([...path, 'client_secret'], 'is required, because grant_types includes client_credentials');
  }
}
