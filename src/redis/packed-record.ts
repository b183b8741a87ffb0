import type { StoredFields } from "../store/session-store.js";

/**
 * A session record as ONE Redis string: `name \x1f value` entries joined by `\x1e`,
 *
 *   $c\x1f1767225600000\x1e$a\x1f1767225600000\x1e$x\x1f1768435200000\x1euser\x1f"ann"\x1ecart\x1f{...}
 *
 * Why a string and not a hash with a field per attribute (figures in README "Redis key layout"):
 * - memory: a hash whose longest value exceeds the server's hash-max-listpack-value (64 bytes by default)
 *   becomes a hashtable (more memory per session than connect-redis's one string); splitting values
 *   into <= 64-byte fields keeps a listpack, and then costs the same memory as this string,
 * - CPU: a read is one GET, the same command as the one-GET ceiling, and splitting the reply here costs
 *   less than the client's parsing of an HGETALL reply (one bulk string instead of 2 per field; with the
 *   values chunked, dozens of bulk strings for a 1 KB cart).
 * Rule 2 (per-attribute deltas) holds: writes still send only the changed entries, and the write script
 * merges them into the current record inside Redis, atomically (store/redis-scripts.ts).
 *
 * Names and values never contain a raw \x1e or \x1f: they are escaped here (\x1d -> \x1d0, \x1e -> \x1d1,
 * \x1f -> \x1d2). The typed-JSON codec never outputs control characters, so for it escaping is one regex
 * test per entry written and one indexOf per record read. Lua never unescapes: the write script matches
 * escaped names (the store escapes the names it sends), and reads only the numeric metadata ($c $a $x).
 */

export const ENTRY_SEPARATOR = "\x1e";
export const NAME_SEPARATOR = "\x1f";
const ESCAPE = "\x1d";
const ESCAPE_CODE = 0x1d;
const DIGIT_OFFSET = 0x30 - ESCAPE_CODE; // \x1d -> "0", \x1e -> "1", \x1f -> "2"

function needsEscape(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= ESCAPE_CODE && code <= 0x1f) return true;
  }
  return false;
}

/** A name or value as stored in a packed record (escaped; unchanged in the usual case). */
export function escapePart(text: string): string {
  if (!needsEscape(text)) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += code >= ESCAPE_CODE && code <= 0x1f ? ESCAPE + String.fromCharCode(code + DIGIT_OFFSET) : text[i];
  }
  return out;
}

/** Undoes escapePart; null for an escape that escapePart cannot have written (a corrupt record). */
function unescapePart(text: string): string | null {
  if (text.indexOf(ESCAPE) === -1) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== ESCAPE_CODE) {
      out += text[i];
      continue;
    }
    const digit = text.charCodeAt(++i) - DIGIT_OFFSET;
    if (!(digit >= ESCAPE_CODE && digit <= 0x1f)) return null;
    out += String.fromCharCode(digit);
  }
  return out;
}

/** Packs whole fields (escaping them): for tests and tools; the store writes deltas through the script. */
export function packRecord(fields: StoredFields): string {
  const entries: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    entries.push(`${escapePart(name)}${NAME_SEPARATOR}${escapePart(value)}`);
  }
  return entries.join(ENTRY_SEPARATOR);
}

/**
 * The fields of a packed record in stored order, or null when it does not parse (an entry without a name
 * separator, a bad escape, an empty string): the caller treats that as a corrupt record (rule 8), never
 * throws. The hot path of every read: two indexOf and two slices per entry (V8 slices share the reply's
 * memory), into a Map (no property keys to internalise, no prototype to guard against "__proto__").
 */
export function unpackRecordMap(packed: string): Map<string, string> | null {
  const length = packed.length;
  if (length === 0) return null;
  const fields = new Map<string, string>();
  let start = 0;
  while (start < length) {
    let end = packed.indexOf(ENTRY_SEPARATOR, start);
    if (end === -1) end = length;
    const separator = packed.indexOf(NAME_SEPARATOR, start);
    if (separator === -1 || separator > end) return null;
    fields.set(packed.slice(start, separator), packed.slice(separator + 1, end));
    start = end + 1;
  }
  return packed.indexOf(ESCAPE) === -1 ? fields : unescapeFields(fields);
}

/** unpackRecordMap as a plain object (own properties only, "__proto__" included): for scripts' replies and tools. */
export function unpackRecord(packed: string): StoredFields | null {
  const fields = unpackRecordMap(packed);
  if (fields === null) return null;
  const object: StoredFields = {};
  for (const [name, value] of fields) {
    Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

function unescapeFields(escaped: Map<string, string>): Map<string, string> | null {
  const fields = new Map<string, string>();
  for (const [rawName, rawValue] of escaped) {
    const name = unescapePart(rawName);
    const value = unescapePart(rawValue);
    if (name === null || value === null) return null;
    fields.set(name, value);
  }
  return fields;
}

/** A single stored value read by a script (metadata such as $ua), unescaped; undefined when corrupt. */
export function unescapeStored(text: string): string | undefined {
  return unescapePart(text) ?? undefined;
}

/**
 * Lua twin of unpackRecord, prepended to every script that reads a record. Returns the names in stored
 * order and a name -> value table (both still escaped), or nil when the record does not parse.
 */
export const LUA_UNPACK_RECORD = `
local function unpack_record(s)
  local len = #s
  if len == 0 then return nil end
  local names, values = {}, {}
  local start = 1
  while start <= len do
    local stop = string.find(s, '\\30', start, true) or (len + 1)
    local sep = string.find(s, '\\31', start, true)
    if not sep or sep > stop then return nil end
    local name = string.sub(s, start, sep - 1)
    if values[name] == nil then names[#names + 1] = name end
    values[name] = string.sub(s, sep + 1, stop - 1)
    start = stop + 1
  end
  return names, values
end
`;
