import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { translator } from '../i18n/translate.js';
import { ROLE_KINDS } from '../roles/kinds.js';

const DEMO_FILE = new URL('./demo-data.json', import.meta.url);

export interface DemoAccount {
  /** Name and roles in Russian: «Иванова Мария Петровна — учитель, родитель». */
  who: string;
  /** The login as written in the demo file: phone if there is one, else e-mail, else СНИЛС. */
  login: string;
  password: string;
}

/** Only the fields the account list needs; the importer checks the rest. */
const demoPeopleSchema = z.object({
  people: z.array(
    z.object({
      family_name: z.string(),
      given_name: z.string(),
      middle_name: z.string().nullish(),
      phone: z.string().nullish(),
      email: z.string().nullish(),
      snils: z.string().nullish(),
      initial_password: z.string().nullish(),
      roles: z.array(z.object({ kind: z.enum(ROLE_KINDS) })),
    }),
  ),
});

/**
 * Read the demo file and return each demo person who has a password, with
 * one login, so the start-up banner can print them. The passwords are
 * made up and public, which is why printing them is acceptable.
 */
export function demoAccounts(): DemoAccount[] {
  const demo = demoPeopleSchema.parse(JSON.parse(readFileSync(DEMO_FILE, 'utf8')));
  const t = translator('ru');
  const accounts: DemoAccount[] = [];
  for (const person of demo.people) {
    const login = person.phone ?? person.email ?? person.snils;
    if (login === undefined || login === null || person.initial_password === undefined || person.initial_password === null) {
      continue;
    }
    const name = [person.family_name, person.given_name, person.middle_name].filter((part) => typeof part === 'string').join(' ');
    const roles = [...new Set(person.roles.map((role) => t(`role_kind.${role.kind}`)))].join(', ');
    accounts.push({ who: `${name} — ${roles}`, login, password: person.initial_password });
  }
  return accounts;
}
