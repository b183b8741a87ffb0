import { defineLuaScript } from "../../redis/lua-script.js";
import { FROM_TEXT, TO_TEXT } from "../byte-scripts.js";

/*
 * The scripts of Spring sessions. Spring keeps one hash per session and serializes every value (Java
 * serialization by default: binary), so field names and values cross the connection as text with one
 * character per byte, converted inside Redis (see byte-scripts.ts).
 */

const TO_BYTES = `${FROM_TEXT} local function bytes(s) return (string.gsub(s, '[\\194\\195][\\128-\\191]', t)) end`;

/** HGETALL as text: name, value, name, value... (an empty list when there is no such hash). */
export const READ_HASH_SCRIPT = defineLuaScript(`
local fields = redis.call('HGETALL', KEYS[1])
${TO_TEXT}
for i = 1, #fields do fields[i] = (string.gsub(fields[i], '[\\128-\\255]', t)) end
return fields
`);

/**
 * Writes fields of a session hash and its expiry in one step, on the session as the caller read it.
 * ARGV: [1] mode: "create" (the key must not exist), "update" (the session must still be the one read:
 * same creationTime ARGV[2], and same maxInactiveInterval ARGV[3] unless "*", since the expiry was
 * computed from it), "replace" (delete the hash first: set() of a whole session); [4] "at" (PEXPIREAT,
 * Spring's plain repository) or "in" (PEXPIRE, the indexed repository's five minutes of grace); [5] its
 * ms; [6] how many fields to set, then name/value pairs, then the names of fields to delete; with a
 * created-message channel in ARGV[7] (create only), PUBLISH of ARGV[8] to it (a session is announced
 * only once it exists). Answers 1 written, 0 changed meanwhile (read again), -1 gone (not brought back).
 */
export const WRITE_HASH_SCRIPT = defineLuaScript(`
${TO_BYTES}
local mode = ARGV[1]
if mode == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif mode == 'update' then
  local created = redis.call('HGET', KEYS[1], 'creationTime')
  if not created or created ~= bytes(ARGV[2]) then return -1 end
  if ARGV[3] ~= '*' and redis.call('HGET', KEYS[1], 'maxInactiveInterval') ~= bytes(ARGV[3]) then return 0 end
else
  redis.call('DEL', KEYS[1])
end
local count = tonumber(ARGV[6])
local first = 9
for i = first, first + 2 * count - 1, 2 do
  redis.call('HSET', KEYS[1], bytes(ARGV[i]), bytes(ARGV[i + 1]))
end
for i = first + 2 * count, #ARGV do redis.call('HDEL', KEYS[1], bytes(ARGV[i])) end
if ARGV[4] == 'at' then redis.call('PEXPIREAT', KEYS[1], ARGV[5]) else redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
if ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[7], bytes(ARGV[8])) end
return 1
`);

/** The members of a set, as text (Spring serializes the principal index's members too). */
export const SET_MEMBERS_SCRIPT = defineLuaScript(`
local members = redis.call('SMEMBERS', KEYS[1])
${TO_TEXT}
for i = 1, #members do members[i] = (string.gsub(members[i], '[\\128-\\255]', t)) end
return members
`);

/**
 * SADD (ARGV[1] "add") or SREM ("rem") of the member ARGV[2]; with ARGV[3], the set's TTL in seconds
 * (the expirations sets; Spring gives the principal index none).
 */
export const SET_CHANGE_SCRIPT = defineLuaScript(`
${TO_BYTES}
if ARGV[1] == 'add' then redis.call('SADD', KEYS[1], bytes(ARGV[2])) else redis.call('SREM', KEYS[1], bytes(ARGV[2])) end
if ARGV[3] then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
`);
