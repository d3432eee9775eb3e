import type { Kysely, KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/*
 * Writes that a SQLite commit need not sync to disk by itself
 * (docs/decisions/0018-sync-only-what-must-survive.md).
 *
 * With `synchronous = FULL` every commit syncs the WAL. Under the login
 * benchmark on the 2-core development VM the median commit took 0.33 ms of
 * wall time with every commit synced, and 0.06 ms once most of them were
 * not. Most writes of a login or a token request create short-lived state:
 * an interaction, a code, a token, a session, a throttle count. Losing one of them in a power
 * failure costs availability (a person signs in again, a service requests new
 * tokens), not security. A write that consumes, revokes, deletes or changes
 * lasting data keeps its sync: a consumed code or refresh token, a logout, a
 * password, an audit event.
 *
 * A query built on `lazySync(db)` is marked. The SQLite driver commits a
 * group of writes without its own sync when every write in it is marked
 * (src/storage/sqlite-group-commit.ts). A Kysely transaction always syncs.
 * SQLite appends the WAL in order, so the next synced commit or checkpoint
 * syncs the unsynced ones before it too. PostgreSQL ignores the mark and
 * commits as its `synchronous_commit` setting says.
 */

const marked = new WeakSet<OperationNode>();

const markPlugin: KyselyPlugin = {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    marked.add(node);
    return node;
  },
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  },
};

const handles = new WeakMap<object, unknown>();

/** Return a handle on `db` whose writes need no sync of their own. Only for writes whose loss in a power failure is harmless. */
export function lazySync<DB>(db: Kysely<DB>): Kysely<DB> {
  let handle = handles.get(db) as Kysely<DB> | undefined;
  if (handle === undefined) {
    handle = db.withPlugin(markPlugin);
    handles.set(db, handle);
  }
  return handle;
}

/** Report whether a compiled query's node came from a `lazySync` handle. */
export function isLazySync(node: OperationNode): boolean {
  return marked.has(node);
}
