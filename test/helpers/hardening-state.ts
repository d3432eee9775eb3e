// What the hardening tests compare before and after a rejected or read-only
// request: the routes Fastify registered, and the state that a form or a GET
// must not change.
import type { FastifyInstance } from 'fastify';
import type { RunningPropusk } from './propusk-server.js';

export interface RegisteredRoute {
  path: string;
  methods: string[];
}

const TREE_LINE = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/;

/**
 * Lists every route of the Fastify app, read from `printRoutes`. The tree prints
 * shared prefixes once, so each line's segment is appended to its parent's path.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = TREE_LINE.exec(line);
    if (match === null) {
      if (line.trim() !== '') {
        throw new Error(`unexpected printRoutes line: ${line}`);
      }
      continue;
    }
    const depth = (match[1] as string).length / 4;
    const path = `${depth === 0 ? '' : prefixes[depth - 1]}${match[2] as string}`;
    prefixes[depth] = path;
    if (match[3] !== undefined) {
      routes.push({ path, methods: match[3].split(',').map((method) => method.trim()) });
    }
  }
  return routes;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function stateChangingRoutes(app: FastifyInstance): string[] {
  return registeredRoutes(app)
    .filter((route) => route.methods.some((method) => !SAFE_METHODS.has(method)))
    .map((route) => route.path)
    .sort();
}

export function readOnlyRoutes(app: FastifyInstance): string[] {
  return registeredRoutes(app)
    .filter((route) => route.methods.includes('GET'))
    .map((route) => route.path)
    .sort();
}

const TRACKED_MODELS = ['Session', 'Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken', 'Interaction'];

/**
 * Reads the state that a sign-in, a role choice or a role switch writes: passwords and
 * statuses, active roles, role bindings, and the provider's sessions, grants,
 * tokens and interaction results. Timestamps that a mere page view may touch
 * (expiry, last activity) are left out.
 */
export async function authState(propusk: RunningPropusk): Promise<string> {
  const db = propusk.runtime.store.db;
  const people = await db.selectFrom('people').select(['id', 'password_hash', 'status']).orderBy('id').execute();
  const sessions = await db.selectFrom('session_state').select(['session_uid', 'person_id', 'active_role_id']).orderBy('session_uid').execute();
  const bindings = await db.selectFrom('grant_roles').select(['grant_id', 'person_id', 'client_id', 'role_id']).orderBy('grant_id').execute();
  const payloads = await db
    .selectFrom('oidc_payloads')
    .select(['model', 'id', 'payload', 'consumed_at'])
    .where('model', 'in', TRACKED_MODELS)
    .orderBy('model')
    .orderBy('id')
    .execute();
  const provider = payloads.map((row) => {
    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    return {
      model: row.model,
      id: row.id,
      consumed: row.consumed_at !== null,
      accountId: payload.accountId ?? null,
      authorizations: Object.keys((payload.authorizations as object | undefined) ?? {}).sort(),
      result: payload.result ?? null,
      lastSubmission: payload.lastSubmission ?? null,
    };
  });
  return JSON.stringify({ people, sessions, bindings, provider });
}
