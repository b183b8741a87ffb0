import { defineLuaScript } from "../redis/lua-script.js";

/**
 * The scripts of the foreign-session operations. Foreign records are bytes (Marshal, pickle), and the
 * connection seam carries text: a client turns a reply into a UTF-8 string, which replaces invalid
 * sequences. So the bytes cross as lowercase hex, converted inside Redis by string.gsub with a lookup
 * table (no Lua call per byte: about a millisecond per 100 KB).
 */
const TO_HEX = "local t = {} for i = 0, 255 do t[string.char(i)] = string.format('%02x', i) end";
const FROM_HEX = "local t = {} for i = 0, 255 do t[string.format('%02x', i)] = string.char(i) end";

/** GET + PTTL in one round trip: {hex, pttl}, or false when there is no such key. */
export const READ_SCRIPT = defineLuaScript(`
local value = redis.call('GET', KEYS[1])
if not value then return false end
${TO_HEX}
return {(string.gsub(value, '.', t)), redis.call('PTTL', KEYS[1])}
`);

/**
 * Writes ARGV[2] (hex) with a TTL of ARGV[3] ms, data and TTL in one command (DESIGN rule 1), if the
 * key is as the caller read it: ARGV[1] is the SHA-1 of the value read, "" for "must not exist" (a new
 * session), "*" for "whatever it holds" (set). Answers 1 written, 0 changed meanwhile (read again and
 * retry), -1 gone (a session destroyed meanwhile is not brought back: rule 3).
 */
export const WRITE_SCRIPT = defineLuaScript(`
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if current then return 0 end
elseif ARGV[1] ~= '*' then
  if not current then return -1 end
  if redis.sha1hex(current) ~= ARGV[1] then return 0 end
end
${FROM_HEX}
redis.call('SET', KEYS[1], (string.gsub(ARGV[2], '%x%x', t)), 'PX', ARGV[3])
return 1
`);

/** Slides the TTL of an existing key (PEXPIRE), for a read-only request that keeps the session alive. */
export const TOUCH_SCRIPT = defineLuaScript(`
return redis.call('PEXPIRE', KEYS[1], ARGV[1])
`);
