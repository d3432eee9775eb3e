import type { Redis } from 'ioredis';

/*
 * Lua scripts of the Redis oidc-provider adapter. Redis runs a script as one
 * atomic step, so no other node's command falls between its reads and writes.
 * NOTE: the session and grant scripts build some key names inside the script
 * (the uid index, the grant's members) instead of receiving them in KEYS.
 * That works on one Redis server (also a master managed by Sentinel), but
 * not on Redis Cluster, which needs every key declared up front.
 */

/** Mark a record consumed unless it is missing or consumed already. Returns 1 when this call consumed it. */
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
return redis.call('HSETNX', KEYS[1], 'c', ARGV[1])
`;

/**
 * Find a session by its uid in one round trip: read the uid index, then the
 * record it points to. Returns {id, JSON} or nil when either is missing.
 */
const FIND_SESSION_BY_UID = `
local id = redis.call('GET', KEYS[1])
if not id then
  return nil
end
local value = redis.call('GET', ARGV[1] .. id)
if not value then
  return nil
end
return {id, value}
`;

/**
 * Find a token and, when it names a session, that session by uid, in one
 * round trip. ARGV[1] is 1 when the record is a hash with the consumption
 * time in field c. Returns {JSON, consumed, session id, session JSON}, with
 * false for each missing part, or nil when the token is missing.
 */
const FIND_WITH_SESSION = `
local value, consumed
if ARGV[1] == '1' then
  local fields = redis.call('HMGET', KEYS[1], 'p', 'c')
  value, consumed = fields[1], fields[2]
else
  value = redis.call('GET', KEYS[1])
end
if not value then
  return nil
end
local ok, payload = pcall(cjson.decode, value)
if ok and type(payload) == 'table' and type(payload.sessionUid) == 'string' then
  local id = redis.call('GET', ARGV[2] .. payload.sessionUid)
  if id then
    local session = redis.call('GET', ARGV[3] .. id)
    if session then
      return {value, consumed or false, id, session}
    end
  end
end
return {value, consumed or false, false, false}
`;

/** Delete a session, its uid index entry (when it still points to this id) and its expiry entry. */
const DESTROY_SESSION = `
local value = redis.call('GET', KEYS[1])
if value then
  local ok, payload = pcall(cjson.decode, value)
  if ok and type(payload) == 'table' and type(payload.uid) == 'string' then
    local index = ARGV[2] .. payload.uid
    if redis.call('GET', index) == ARGV[1] then
      redis.call('DEL', index)
    end
  end
  redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
`;

/** Delete every record in a grant's index, then the index. Returns how many members it had. */
const REVOKE_GRANT = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, member in ipairs(members) do
  redis.call('DEL', ARGV[1] .. member)
end
redis.call('DEL', KEYS[1])
return #members
`;

/*
 * Take up to ARGV[2] sessions whose expiry (the score) is at or before
 * ARGV[1]: remove each from the expiry set, delete its record and uid index
 * entry, and return the flat list id1, payload1, id2, payload2, ... Removing
 * the id from the set is the claim: of several nodes sweeping at once, each
 * session goes to exactly one.
 */
const TAKE_EXPIRED_SESSIONS = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local expired = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[3] .. id
  local value = redis.call('GET', key)
  if value then
    redis.call('DEL', key)
    local ok, payload = pcall(cjson.decode, value)
    if ok and type(payload) == 'table' and type(payload.uid) == 'string' then
      local index = ARGV[4] .. payload.uid
      if redis.call('GET', index) == id then
        redis.call('DEL', index)
      end
    end
    expired[#expired + 1] = id
    expired[#expired + 1] = value
  end
end
return expired
`;

export interface OidcScriptCommands {
  oidcConsume(recordKey: string, consumedAt: number): Promise<number>;
  oidcFindSessionByUid(uidIndexKey: string, recordPrefix: string): Promise<[string, string] | null>;
  oidcFindWithSession(
    recordKey: string,
    isHash: '0' | '1',
    uidIndexPrefix: string,
    sessionPrefix: string,
  ): Promise<[string, string | null, string | null, string | null] | null>;
  oidcDestroySession(recordKey: string, expiryKey: string, id: string, uidIndexPrefix: string): Promise<number>;
  oidcRevokeGrant(grantIndexKey: string, memberPrefix: string): Promise<number>;
  oidcTakeExpiredSessions(expiryKey: string, now: number, limit: number, recordPrefix: string, uidIndexPrefix: string): Promise<string[]>;
}

/** Register the scripts on a connection (ioredis sends each by SHA after the first use). */
export function defineOidcScripts(redis: Redis): Redis & OidcScriptCommands {
  redis.defineCommand('oidcConsume', { numberOfKeys: 1, lua: CONSUME });
  redis.defineCommand('oidcFindSessionByUid', { numberOfKeys: 1, lua: FIND_SESSION_BY_UID });
  redis.defineCommand('oidcFindWithSession', { numberOfKeys: 1, lua: FIND_WITH_SESSION });
  redis.defineCommand('oidcDestroySession', { numberOfKeys: 2, lua: DESTROY_SESSION });
  redis.defineCommand('oidcRevokeGrant', { numberOfKeys: 1, lua: REVOKE_GRANT });
  redis.defineCommand('oidcTakeExpiredSessions', { numberOfKeys: 1, lua: TAKE_EXPIRED_SESSIONS });
  return redis as Redis & OidcScriptCommands;
}
