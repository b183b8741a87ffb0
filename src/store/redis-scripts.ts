import { defineLuaScript } from "../redis/lua-script.js";

/**
 * Writes a session change: fields set, fields removed and the TTL, in one atomic script (one round trip).
 * KEYS[1] = session hash; KEYS[2] (optional) = the principal's index, in the same slot.
 * ARGV[1] = "create" | "update", ARGV[2] = TTL in ms, ARGV[3] = index member, ARGV[4] = index score
 * (the session's deadline, ms), ARGV[5] = number of fields to set (n), ARGV[6 .. 5+2n] = field/value
 * pairs, ARGV[6+2n ..] = fields to delete.
 * An update of a missing key returns "gone" without writing: the session was destroyed or expired, and
 * a late write must not bring it back (rule 3). The index lives as long as its longest-lived session.
 * HSET/HDEL go in chunks because unpack() of thousands of arguments overflows Lua's C stack.
 */
export const writeSessionScript = defineLuaScript(`
local key = KEYS[1]
local exists = redis.call('EXISTS', key)
if ARGV[1] == 'update' and exists == 0 then return 'gone' end
if ARGV[1] == 'create' and exists == 1 then return 'exists' end
local setEnd = 5 + 2 * tonumber(ARGV[5])
local chunk = 200
for i = 6, setEnd, chunk do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + chunk - 1, setEnd)))
end
for i = setEnd + 1, #ARGV, chunk do
  redis.call('HDEL', key, unpack(ARGV, i, math.min(i + chunk - 1, #ARGV)))
end
redis.call('PEXPIRE', key, ARGV[2])
if KEYS[2] then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
end
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
 * is gone, or past its deadline, is removed. KEYS[1] = index; ARGV[1] = session key prefix of the
 * principal's slot, ARGV[2] = now (ms), ARGV[3] = idle timeout (ms).
 * Returns a flat list: member, then the HMGET of its metadata, for each live session.
 */
export const listPrincipalScript = defineLuaScript(`
local out = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[1] .. member, '$c', '$a', '$x', '$ua', '$ip')
  local alive = f[1] and f[2] and f[3]
  if alive then
    local deadline = math.min(tonumber(f[2]) + tonumber(ARGV[3]), tonumber(f[3]))
    alive = deadline > tonumber(ARGV[2])
  end
  if alive then
    table.insert(out, member)
    for i = 1, 5 do table.insert(out, f[i] or '') end
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
 * fields, ARGV[4 ..] = members to revoke (none: all). Returns member, fields-array pairs.
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
    local fields = {}
    if ARGV[3] == '1' then fields = redis.call('HGETALL', key) end
    if redis.call('DEL', key) == 1 then
      table.insert(out, member)
      table.insert(out, fields)
    end
    redis.call('ZREM', KEYS[1], member)
  end
end
return out
`);
