import { MetaField } from "../store/record-meta.js";
import { defineLuaScript } from "./lua-script.js";
import { LUA_UNPACK_RECORD } from "./packed-record.js";

const {
  createdAt: C,
  lastAccessAt: A,
  absoluteDeadline: X,
  userAgent: UA,
  ip: IP,
  idleTimeout: I,
} = MetaField;

/** The metadata fields the principal list returns per session, in this order. */
export const LISTED_FIELDS = [C, A, X, UA, IP, I] as const;

/**
 * Writes a session change into its record (one string, see redis/packed-record.ts): the entries set, the
 * entries removed and the TTL, in one atomic script (one round trip). The script reads the current
 * record, merges the change into it and writes it back with its TTL in one SET ... PX (rule 1), so two
 * parallel requests that change different attributes both survive (rule 2): each merges into what the
 * other wrote.
 * KEYS[1] = session record, then the keys ARGV[1] names, in this order: "i" the principal's index (same
 * slot), "r" the record this one replaces (a rotation: regenerate, setPrincipal), "o" that record's index.
 * ARGV[2] = "create" | "update", ARGV[3] = TTL in ms, ARGV[4] = index member, ARGV[5] = index score
 * (the session's deadline, ms), ARGV[6] = the replaced record's index member, ARGV[7] = number of entries
 * to set (n), ARGV[8 .. 7+2n] = name/value pairs (escaped), ARGV[8+2n ..] = names to remove.
 * An update of a missing key (or of one that does not hold a record) returns "gone" without writing:
 * the session was destroyed or expired, and a late write must not bring it back (rule 3). A create
 * over any existing key returns "exists" and touches nothing, the replaced record included; a create
 * that is written deletes the replaced record and its index entry in the same script (rule 15: a login
 * either happened whole or not at all). The index lives as long as its longest-lived session.
 */
export const writeSessionScript = defineLuaScript(`${LUA_UNPACK_RECORD}
local key = KEYS[1]
local nextKey = 2
local function optionalKey(flag)
  if not string.find(ARGV[1], flag, 1, true) then return nil end
  nextKey = nextKey + 1
  return KEYS[nextKey - 1]
end
local index, replaced, replacedIndex = optionalKey('i'), optionalKey('r'), optionalKey('o')
local current = redis.pcall('GET', key)
if ARGV[2] == 'create' and current ~= false then return 'exists' end
if ARGV[2] == 'update' and type(current) ~= 'string' then return 'gone' end
local names, values = {}, {}
if type(current) == 'string' then
  names, values = unpack_record(current)
  if not names then return 'gone' end
end
local setEnd = 7 + 2 * tonumber(ARGV[7])
for i = 8, setEnd, 2 do
  local name = ARGV[i]
  if values[name] == nil then names[#names + 1] = name end
  values[name] = ARGV[i + 1]
end
for i = setEnd + 1, #ARGV do values[ARGV[i]] = nil end
local parts = {}
for _, name in ipairs(names) do
  local value = values[name]
  if value ~= nil then
    if #parts > 0 then parts[#parts + 1] = '\\30' end
    parts[#parts + 1] = name
    parts[#parts + 1] = '\\31'
    parts[#parts + 1] = value
  end
end
if #parts == 0 then
  redis.call('DEL', key)
else
  redis.call('SET', key, table.concat(parts), 'PX', ARGV[3])
end
if index then
  redis.call('ZADD', index, ARGV[5], ARGV[4])
  if redis.call('PTTL', index) < tonumber(ARGV[3]) then redis.call('PEXPIRE', index, ARGV[3]) end
end
if replaced then redis.call('DEL', replaced) end
if replacedIndex then redis.call('ZREM', replacedIndex, ARGV[6]) end
return 'written'
`);

/** Deletes a session and, when given, its entry in the principal's index (KEYS[2], ARGV[1] = member). */
export const removeSessionScript = defineLuaScript(`
redis.call('DEL', KEYS[1])
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[1]) end
return 1
`);

/**
 * Lists a principal's live sessions and prunes the index of dead ones (rule 12): an entry whose session
 * is gone, past its deadline, or not a readable record, is removed. KEYS[1] = index; ARGV[1] = session
 * key prefix of the principal's slot, ARGV[2] = now (ms), ARGV[3] = idle timeout (ms).
 * Returns a flat list: member, then its LISTED_FIELDS ("" when absent; still escaped), for each live
 * session. "Alive" is store/record-meta.ts's sessionDeadline > now (test/integration/deadline-formula.test.ts).
 */
export const listPrincipalScript = defineLuaScript(`${LUA_UNPACK_RECORD}
local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local current = redis.pcall('GET', ARGV[1] .. member)
  local f = nil
  if type(current) == 'string' then
    local names, values = unpack_record(current)
    if names then f = values end
  end
  local alive = false
  if f then
    local a, x = tonumber(f['${A}']), tonumber(f['${X}'])
    alive = tonumber(f['${C}']) ~= nil and a ~= nil and x ~= nil
      and math.min(a + (tonumber(f['${I}']) or tonumber(ARGV[3])), x) > tonumber(ARGV[2])
  end
  if alive then
    table.insert(out, member)
    for _, name in ipairs({${LISTED_FIELDS.map((name) => `'${name}'`).join(", ")}}) do table.insert(out, f[name] or '') end
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
return out
`);

/**
 * Revokes sessions of one principal, atomically with respect to its logins (same slot): a login either
 * ran before (its session is revoked) or after (it is new and stays). KEYS[1] = index; ARGV[1] = session
 * key prefix, ARGV[2] = member to keep ("" for none), ARGV[3] = "1" to return each revoked session's
 * record, ARGV[4 ..] = members to revoke (none: all). Returns member, record pairs (the packed record, or
 * "" when not asked for or not a string).
 */
export const revokePrincipalScript = defineLuaScript(`
local targets = {}
if #ARGV >= 4 then
  for i = 4, #ARGV do
    if redis.call('ZSCORE', KEYS[1], ARGV[i]) then table.insert(targets, ARGV[i]) end
  end
else
  targets = redis.call('ZRANGE', KEYS[1], 0, -1)
end
local out = {}
for _, member in ipairs(targets) do
  if member ~= ARGV[2] then
    local key = ARGV[1] .. member
    local record = ''
    if ARGV[3] == '1' then
      local current = redis.pcall('GET', key)
      if type(current) == 'string' then record = current end
    end
    if redis.call('DEL', key) == 1 then
      table.insert(out, member)
      table.insert(out, record)
    end
    redis.call('ZREM', KEYS[1], member)
  end
end
return out
`);

/** KEYS[1] = session record. Returns {PTTL, the packed record or false}; for operators (AdminStore.inspect). */
export const inspectSessionScript = defineLuaScript(`
local ttl = redis.call('PTTL', KEYS[1])
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return {ttl, false} end
return {ttl, redis.call('GET', KEYS[1])}
`);
