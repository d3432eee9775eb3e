// The records the benchmark imports into a fresh Propusk (docs/import-format.md):
// one school, BENCH_PEOPLE students who can sign in, a web service for the
// browser flows and a machine service for the client credentials grant. Both
// services take ES256 ID tokens, which cost less CPU to sign than RS256, as
// docs/deployment.md recommends for a service whose library verifies ES256.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

/** Loopback redirect URI of the web service. Nothing listens there, because the generator only reads the Location header. */
export const WEB_REDIRECT_URI = 'http://127.0.0.1:9/bench/callback';

/** ID token algorithm of both services, and of the bare oidc-provider's clients and key. */
export const BENCH_ID_TOKEN_ALG = 'ES256';

export interface BenchClient {
  clientId: string;
  clientSecret: string;
}

export interface BenchPerson {
  /** The login as typed into the form: a phone number. */
  login: string;
  password: string;
}

export interface BenchDataset {
  /** Confidential authorization-code client with refresh tokens, accepting students. */
  web: BenchClient;
  /** Confidential client allowed only the client credentials grant. */
  machine: BenchClient;
  people: BenchPerson[];
  /** Import file content in the format of `propusk import`. */
  records: unknown;
}

/** Phones +7 916 1XX XX XX: Russian mobile numbers, which the importer accepts as logins. */
function phoneOf(index: number): string {
  return `+7916${String(1_000_000 + index).padStart(7, '0')}`;
}

/**
 * Build the dataset. Each person has one student role, so the role step
 * decides at once and a login takes the same hops as a typical student's.
 * Secrets and the shared password are random per run.
 */
export function buildDataset(peopleCount: number): BenchDataset {
  const web = { clientId: 'bench-web', clientSecret: randomBytes(24).toString('base64url') };
  const machine = { clientId: 'bench-machine', clientSecret: randomBytes(24).toString('base64url') };
  // One password for everyone keeps the import fast. argon2id salts each hash, so each login still costs a full hash.
  const password = `Kolokol-${randomBytes(6).toString('base64url')}-Vesna`;
  const people = Array.from({ length: peopleCount }, (_, index) => ({ login: phoneOf(index), password }));

  const records = {
    organizations: [{ id: 'bench-school', kind: 'school', name: 'Школа нагрузочного теста', short_name: 'Тестовая школа', region: 'Москва' }],
    services: [
      {
        client_id: web.clientId,
        client_secret: web.clientSecret,
        display_name: 'Сервис нагрузочного теста',
        home_url: 'http://127.0.0.1:9/bench/',
        redirect_uris: [WEB_REDIRECT_URI],
        id_token_signed_response_alg: BENCH_ID_TOKEN_ALG,
        grant_types: ['authorization_code', 'refresh_token'],
        accepted_role_kinds: ['student'],
      },
      {
        client_id: machine.clientId,
        client_secret: machine.clientSecret,
        display_name: 'Машинный клиент нагрузочного теста',
        home_url: 'http://127.0.0.1:9/bench-machine/',
        redirect_uris: [],
        id_token_signed_response_alg: BENCH_ID_TOKEN_ALG,
        grant_types: ['client_credentials'],
        accepted_role_kinds: ['admin'],
      },
    ],
    people: people.map((person, index) => ({
      id: `bench-${index}`,
      family_name: 'Тестов',
      given_name: `Ученик ${index}`,
      phone: person.login,
      initial_password: person.password,
      roles: [{ kind: 'student', organization: 'bench-school', class: '5 «А»' }],
    })),
  };
  return { web, machine, people, records };
}

export async function writeDataset(file: string, dataset: BenchDataset): Promise<void> {
  await writeFile(file, JSON.stringify(dataset.records), { mode: 0o600 });
}
