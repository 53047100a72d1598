/**
 * The Lua scripts behind the Redis and Upstash backends. Redis runs a script as one atomic
 * step, so each store call that touches several keys is exactly one script: nothing another
 * client does can land between its reads and writes, and an outage can never leave it half
 * applied. Both backends run the same text (ioredis through `defineCommand`, which uses
 * EVALSHA and falls back to EVAL; @upstash/redis through `createScript`, which does the same).
 *
 * Values stay opaque: the scripts never decode JSON (cjson would turn "12345678901234567890"
 * into a float and reorder fields), they only store and return the strings they are given.
 * Every key a script touches is passed in KEYS, and all of them share the tenant's hash tag.
 * Times are milliseconds from the memory service's clock, passed in ARGV, so expiry decisions
 * made here and in the embedded backend agree.
 */

/** A script and how many of its arguments are keys. */
export interface MemoryScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

/** Drops finished runs whose retention has passed from a tenant's listing index. */
const PRUNE_INDEX = `
local function prune_index(index, expiries, summaries, now)
  repeat
    local gone = redis.call('ZRANGEBYSCORE', expiries, '-inf', now, 'LIMIT', 0, 500)
    for _, id in ipairs(gone) do
      redis.call('ZREM', index, id)
      redis.call('HDEL', summaries, id)
      redis.call('ZREM', expiries, id)
    end
  until #gone < 500
end
`;

/** Drops expired facts from a scope. */
const PRUNE_FACTS = `
local function prune_facts(facts, expiries, now)
  local gone = redis.call('ZRANGEBYSCORE', expiries, '-inf', now)
  for _, id in ipairs(gone) do redis.call('HDEL', facts, id) end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', expiries, '-inf', now) end
end
`;

/**
 * Compare-and-set of a run. KEYS: run, log, index, expiries, summaries, running. ARGV: expected
 * version, state JSON, run id, createdAt (ms), summary JSON, expiry (ms, 0 while the run is not
 * finished), now (ms), index cap, updatedAt (ms), then one JSON string per log entry. Returns
 * {0, current version} on a conflict, else {1, new version, first seq, entries appended}.
 * The running index (run id by updatedAt) changes in the same step, so the stalled-run sweeper
 * can never miss a running run nor see a finished one.
 */
export const COMMIT_RUN: MemoryScript = {
  name: 'ddoCommitRun',
  numberOfKeys: 6,
  lua: `${PRUNE_INDEX}
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) then return {0, current} end
-- A run that does not exist has no log; one left over from an expired run must not number on.
if current == 0 then redis.call('DEL', KEYS[2]) end
local version = current + 1
redis.call('HSET', KEYS[1], 'v', version, 's', ARGV[2])
local first = redis.call('LLEN', KEYS[2]) + 1
for i = 10, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
local expire_at = tonumber(ARGV[6])
if expire_at > 0 then
  redis.call('PEXPIREAT', KEYS[1], expire_at)
  redis.call('PEXPIREAT', KEYS[2], expire_at)
  redis.call('ZADD', KEYS[4], expire_at, ARGV[3])
  redis.call('ZREM', KEYS[6], ARGV[3])
else
  redis.call('ZADD', KEYS[6], ARGV[9], ARGV[3])
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
  redis.call('ZREM', KEYS[4], ARGV[3])
end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('HSET', KEYS[5], ARGV[3], ARGV[5])
prune_index(KEYS[3], KEYS[4], KEYS[5], ARGV[7])
local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[8])
if extra > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, extra - 1)) do
    redis.call('ZREM', KEYS[3], id)
    redis.call('ZREM', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
  end
end
return {1, version, first, #ARGV - 9}
`,
};

/** KEYS: run. Returns {version, state JSON}, both nil when there is no such run. */
export const GET_RUN: MemoryScript = {
  name: 'ddoGetRun',
  numberOfKeys: 1,
  lua: `return redis.call('HMGET', KEYS[1], 'v', 's')`,
};

/** KEYS: log. ARGV: first index, last index (0-based, inclusive). */
export const READ_LOG: MemoryScript = {
  name: 'ddoReadLog',
  numberOfKeys: 1,
  lua: `return redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])`,
};

/** KEYS: index, expiries, summaries. ARGV: now (ms), limit. Newest first. */
export const LIST_RUNS: MemoryScript = {
  name: 'ddoListRuns',
  numberOfKeys: 3,
  lua: `${PRUNE_INDEX}
prune_index(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local out = {}
for i, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
  out[i] = redis.call('HGET', KEYS[3], id) or ''
end
return out
`,
};

/**
 * Appends messages to a session's history, skipping a message whose tag (its run and role) is
 * already there, and keeps the newest `keep`. KEYS: messages, tags. ARGV: keep, then pairs of
 * tag and message JSON. The tag `-` marks a message without a run, which is never skipped.
 */
export const APPEND_HISTORY: MemoryScript = {
  name: 'ddoAppendHistory',
  numberOfKeys: 2,
  lua: `
local seen = {}
for _, tag in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do seen[tag] = true end
for i = 2, #ARGV, 2 do
  local tag = ARGV[i]
  if tag == '-' or not seen[tag] then
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    redis.call('RPUSH', KEYS[2], tag)
  end
end
local keep = tonumber(ARGV[1])
if keep <= 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('LTRIM', KEYS[1], -keep, -1)
  redis.call('LTRIM', KEYS[2], -keep, -1)
end
return 1
`,
};

/** KEYS: messages. ARGV: how many of the newest to return (at least 1). Oldest first. */
export const READ_HISTORY: MemoryScript = {
  name: 'ddoReadHistory',
  numberOfKeys: 1,
  lua: `return redis.call('LRANGE', KEYS[1], -tonumber(ARGV[1]), -1)`,
};

/**
 * Writes a fact. KEYS: facts, expiries. ARGV: fact id, fact JSON, expiry (ms, 0 for none), now.
 * The scope's keys expire with their last fact, and never while a fact without expiry is in.
 */
export const PUT_FACT: MemoryScript = {
  name: 'ddoPutFact',
  numberOfKeys: 2,
  lua: `${PRUNE_FACTS}
prune_facts(KEYS[1], KEYS[2], ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
if redis.call('HLEN', KEYS[1]) > redis.call('ZCARD', KEYS[2]) then
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
else
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
  redis.call('PEXPIREAT', KEYS[1], last)
  redis.call('PEXPIREAT', KEYS[2], last)
end
return 1
`,
};

/** KEYS: facts, expiries. ARGV: now (ms). Returns the JSON of every live fact. */
export const READ_FACTS: MemoryScript = {
  name: 'ddoReadFacts',
  numberOfKeys: 2,
  lua: `${PRUNE_FACTS}
prune_facts(KEYS[1], KEYS[2], ARGV[1])
return redis.call('HVALS', KEYS[1])
`,
};

/** Adds a tenant to the registry the sweeper walks. KEYS: tenants. ARGV: tenant. */
export const REGISTER_TENANT: MemoryScript = {
  name: 'ddoRegisterTenant',
  numberOfKeys: 1,
  lua: `return redis.call('SADD', KEYS[1], ARGV[1])`,
};

/** KEYS: tenants. Returns every registered tenant. */
export const LIST_TENANTS: MemoryScript = {
  name: 'ddoListTenants',
  numberOfKeys: 1,
  lua: `return redis.call('SMEMBERS', KEYS[1])`,
};

/**
 * KEYS: running. ARGV: updated before (ms, exclusive), limit. Returns a flat list of run id and
 * updatedAt (ms), least recently updated first.
 */
export const LIST_STALLED: MemoryScript = {
  name: 'ddoListStalled',
  numberOfKeys: 1,
  lua: `return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))`,
};

/**
 * Adds to an agent's usage counter for one window bucket. KEYS: usage. ARGV: tokens, cost (US
 * dollars), tool calls, time to live (ms). Returns the new totals as strings (tokens, cost, tool
 * calls). HINCRBYFLOAT keeps the three fields in one hash, so a read sees all or none of an add.
 */
export const ADD_USAGE: MemoryScript = {
  name: 'ddoAddUsage',
  numberOfKeys: 1,
  lua: `
redis.call('HINCRBYFLOAT', KEYS[1], 'tokens', ARGV[1])
redis.call('HINCRBYFLOAT', KEYS[1], 'costUsd', ARGV[2])
redis.call('HINCRBYFLOAT', KEYS[1], 'toolCalls', ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return redis.call('HMGET', KEYS[1], 'tokens', 'costUsd', 'toolCalls')
`,
};

/** KEYS: usage. Returns the totals of one window bucket (false for a field never added to). */
export const READ_USAGE: MemoryScript = {
  name: 'ddoReadUsage',
  numberOfKeys: 1,
  lua: `return redis.call('HMGET', KEYS[1], 'tokens', 'costUsd', 'toolCalls')`,
};

/** Every script, for backends that register them up front. */
export const ALL_SCRIPTS: readonly MemoryScript[] = [
  COMMIT_RUN,
  GET_RUN,
  READ_LOG,
  LIST_RUNS,
  APPEND_HISTORY,
  READ_HISTORY,
  PUT_FACT,
  READ_FACTS,
  REGISTER_TENANT,
  LIST_TENANTS,
  LIST_STALLED,
  ADD_USAGE,
  READ_USAGE,
];
