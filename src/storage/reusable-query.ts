import type { CompiledQuery, Compilable, Kysely, QueryResult } from 'kysely';
import type { DatabaseSchema } from './schema.js';

/** Marks the parameter slots while a reusable query is compiled; no stored value starts with a NUL character. */
const SLOT_PREFIX = '\u0000propusk-slot:';

/** A query that Kysely compiles once and that then runs with new parameter values. */
export interface ReusableQuery<Row> {
  run(values: readonly unknown[]): Promise<QueryResult<Row>>;
}

/**
 * Build a query once with numbered slots in place of its values, compile it
 * on first use, and afterwards only substitute the values. Kysely's query
 * building and compiling took about a tenth of the samples in the
 * benchmark's profile of the SSO hop (docs/benchmarks.md), and the hot
 * queries of the provider's storage run several times per request.
 *
 * `build` receives `slot(n)`, which stands for `values[n]` of each run. Only
 * plain values may be slots: a value that changes the SQL text (a list for
 * `in`, a column name) must not, because the text is fixed at compilation.
 */
export function reusableQuery<Row>(db: Kysely<DatabaseSchema>, build: (slot: (index: number) => never) => Compilable<Row>): ReusableQuery<Row> {
  let compiled: CompiledQuery<Row> | undefined;
  let order: number[] = [];

  const compile = (): CompiledQuery<Row> => {
    const query = build((index) => `${SLOT_PREFIX}${index}` as never).compile();
    order = query.parameters.map((parameter) => {
      if (typeof parameter !== 'string' || !parameter.startsWith(SLOT_PREFIX)) {
        throw new Error(`reusable query has a parameter that is not a slot: ${query.sql}`);
      }
      return Number(parameter.slice(SLOT_PREFIX.length));
    });
    return query;
  };

  return {
    async run(values) {
      compiled ??= compile();
      return db.executeQuery<Row>({ ...compiled, parameters: order.map((index) => values[index]) });
    },
  };
}

const shared = new WeakMap<object, Map<string, ReusableQuery<unknown>>>();

/**
 * Return the reusable query `name` of this database handle, made by `build`
 * on first use. A transaction is a handle of its own, so a query run inside
 * one is compiled again there.
 */
export function sharedQuery<Row>(db: Kysely<DatabaseSchema>, name: string, build: (slot: (index: number) => never) => Compilable<Row>): ReusableQuery<Row> {
  let queries = shared.get(db);
  if (queries === undefined) {
    queries = new Map();
    shared.set(db, queries);
  }
  let query = queries.get(name);
  if (query === undefined) {
    query = reusableQuery(db, build) as ReusableQuery<unknown>;
    queries.set(name, query);
  }
  return query as ReusableQuery<Row>;
}
