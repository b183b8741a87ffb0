import { defineLuaScript } from "../redis/lua-script.js";

/**
 * The scripts of the foreign-session operations. Foreign records are bytes (Marshal, pickle), and the
 * connection seam carries text: a client sends a string as UTF-8 and turns a reply into a UTF-8 string,
 * replacing invalid sequences. So the bytes cross as Latin-1 text: each byte 0x80-0xFF travels as the
 * two-byte UTF-8 form of U+0080-U+00FF, converted inside Redis by string.gsub over those bytes only (a
 * mostly-ASCII Marshal or pickle costs a scan; binary data about 0.1 ms per KB).
 */
/** Lua: `t` maps each byte 0x80-0xFF to its two-byte text form (use with string.gsub). */
export const TO_TEXT =
  "local t = {} for i = 128, 255 do t[string.char(i)] = string.char(192 + math.floor(i / 64), 128 + i % 64) end";
/** Lua: `t` maps the two-byte text forms back to their bytes. */
export const FROM_TEXT =
  "local t = {} for i = 128, 255 do t[string.char(192 + math.floor(i / 64), 128 + i % 64)] = string.char(i) end";

/** Bytes as the text the scripts take (one character per byte). */
export function bytesToText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** The bytes of a script's text reply. */
export function textToBytes(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

/** GET + PTTL in one round trip: {text, pttl}, or false when there is no such key. */
export const READ_SCRIPT = defineLuaScript(`
local value = redis.call('GET', KEYS[1])
if not value then return false end
${TO_TEXT}
return {(string.gsub(value, '[\\128-\\255]', t)), redis.call('PTTL', KEYS[1])}
`);

/**
 * Writes ARGV[2] (text, see above) with a TTL of ARGV[3] ms, data and TTL in one command (DESIGN rule 1), if the
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
${FROM_TEXT}
redis.call('SET', KEYS[1], (string.gsub(ARGV[2], '[\\194\\195][\\128-\\191]', t)), 'PX', ARGV[3])
return 1
`);

/** Slides the TTL of an existing key (PEXPIRE), for a read-only request that keeps the session alive. */
export const TOUCH_SCRIPT = defineLuaScript(`
return redis.call('PEXPIRE', KEYS[1], ARGV[1])
`);
