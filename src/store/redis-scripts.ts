import { defineLuaScript } from "../redis/lua-script.js";

/**
 * Writes a session change: fields set, fields removed and the TTL, in one atomic script (one round trip).
 * KEYS[1] = session hash
 * ARGV[1] = "create" | "update", ARGV[2] = TTL in ms, ARGV[3] = number of fields to set (n),
 * ARGV[4 .. 3+2n] = field/value pairs, ARGV[4+2n ..] = fields to delete.
 * An update of a missing key returns "gone" without writing: the session was destroyed or expired, and
 * a late write must not bring it back (rule 3). HSET/HDEL go in chunks because unpack() of thousands of
 * arguments overflows Lua's C stack.
 */
export const writeSessionScript = defineLuaScript(`
local key = KEYS[1]
local exists = redis.call('EXISTS', key)
if ARGV[1] == 'update' and exists == 0 then return 'gone' end
if ARGV[1] == 'create' and exists == 1 then return 'exists' end
local setEnd = 3 + 2 * tonumber(ARGV[3])
local chunk = 200
for i = 4, setEnd, chunk do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + chunk - 1, setEnd)))
end
for i = setEnd + 1, #ARGV, chunk do
  redis.call('HDEL', key, unpack(ARGV, i, math.min(i + chunk - 1, #ARGV)))
end
redis.call('PEXPIRE', key, ARGV[2])
return 'written'
`);
