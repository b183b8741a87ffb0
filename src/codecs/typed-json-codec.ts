import { SessionCodecError, sessionTooLarge } from "../common/errors.js";
import type { ValueCodec } from "./value-codec.js";

/**
 * JSON that keeps the types plain JSON loses, so a value reads back as it was written
 * (connect-redis#346: Dates that came back as strings broke TTL maths and lost sessions).
 *
 * Typed values are objects with the single key "$t": {"$t":"Date","v":"2026-..."}. So that user data can never
 * be mistaken for a tag, every object key that starts with "$" is written with one more "$" and
 * read back with one less. Decoding builds plain data only: no constructor of the stored data runs
 * and keys such as "__proto__" become own properties, never prototypes.
 */
const TAG = "$t";

type Tagged =
  | { $t: "Date"; v: string }
  | { $t: "BigInt"; v: string }
  | { $t: "Map"; v: [unknown, unknown][] }
  | { $t: "Set"; v: unknown[] }
  | { $t: "Number"; v: "NaN" | "Infinity" | "-Infinity" };

function replacer(this: Record<string, unknown>, key: string, jsonValue: unknown): unknown {
  // JSON.stringify calls toJSON before the replacer: the holder still has the original value.
  const value = this[key];
  if (value instanceof Date) {
    const time = value.getTime();
    return { [TAG]: "Date", v: Number.isNaN(time) ? "Invalid" : value.toISOString() };
  }
  if (typeof value === "bigint") return { [TAG]: "BigInt", v: value.toString() };
  if (value instanceof Map) return { [TAG]: "Map", v: [...value.entries()] };
  if (value instanceof Set) return { [TAG]: "Set", v: [...value.values()] };
  if (typeof value === "number" && !Number.isFinite(value)) return { [TAG]: "Number", v: String(value) };
  if (typeof value === "function" || typeof value === "symbol") {
    throw new SessionCodecError(
      `cannot store a ${typeof value} in a session (attribute path ends at "${key}")`,
    );
  }
  if (jsonValue !== null && typeof jsonValue === "object" && !Array.isArray(jsonValue)) {
    return escapeDollarKeys(jsonValue as Record<string, unknown>);
  }
  return jsonValue;
}

function escapeDollarKeys(object: Record<string, unknown>): Record<string, unknown> {
  let escaped: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    if (key.startsWith("$")) {
      escaped ??= {};
      break;
    }
  }
  if (escaped === undefined) return object;
  for (const [key, v] of Object.entries(object)) {
    defineOwn(escaped, key.startsWith("$") ? `$${key}` : key, v);
  }
  return escaped;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const object = value as Record<string, unknown>;
  if (typeof object[TAG] === "string") return reviveTagged(object as Tagged);
  let unescaped: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    if (key.startsWith("$")) {
      unescaped = {};
      break;
    }
  }
  if (unescaped === undefined) return object;
  for (const [key, v] of Object.entries(object)) {
    if (key.startsWith("$") && !key.startsWith("$$")) {
      throw new SessionCodecError(`unknown marker key ${JSON.stringify(key)} in stored value`);
    }
    defineOwn(unescaped, key.startsWith("$") ? key.slice(1) : key, v);
  }
  return unescaped;
}

function reviveTagged(tagged: Tagged): unknown {
  switch (tagged.$t) {
    case "Date":
      return new Date(tagged.v === "Invalid" ? Number.NaN : tagged.v);
    case "BigInt":
      return BigInt(tagged.v);
    case "Map":
      return new Map(tagged.v);
    case "Set":
      return new Set(tagged.v);
    case "Number":
      return Number(tagged.v);
    default:
      throw new SessionCodecError(`unknown type tag ${JSON.stringify((tagged as { $t: unknown }).$t)}`);
  }
}

/** Assignment of "__proto__" would replace the prototype; defineProperty makes it a plain own key. */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Deeper plain data goes the general way (which also reports cycles). */
const MAX_PLAIN_DEPTH = 64;
/**
 * Values nested deeper than this are refused (SESSION_TOO_LARGE): JSON.stringify with a replacer recurses
 * once per level, and a value thousands of levels deep (a hostile JSON body copied into the session) would
 * otherwise end in a stack overflow.
 */
export const MAX_VALUE_DEPTH = 512;
const DOLLAR = 0x24;

/**
 * True when JSON.stringify without the replacer writes exactly what the replacer would: only strings,
 * booleans, finite numbers, null, undefined (dropped from objects, null in arrays, as with the replacer),
 * plain arrays and plain objects whose keys do not start with "$". Anything else (a Date, Map, class
 * instance, toJSON, a non-finite number, a "$" key, a function) takes the general path.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_PLAIN_DEPTH) return false;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false;
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      for (const key in value) {
        if (key.charCodeAt(0) === DOLLAR) return false;
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Whether objects, arrays, Maps and Sets nest deeper than `limit` below `value`. A cycle is not depth:
 * JSON.stringify reports it as such.
 */
function nestsDeeperThan(value: unknown, limit: number, depth: number, ancestors: Set<object>): boolean {
  if (value === null || typeof value !== "object" || ancestors.has(value)) return false;
  if (depth >= limit) return true;
  ancestors.add(value);
  const children: Iterable<unknown> =
    value instanceof Map
      ? [...value.keys(), ...value.values()]
      : value instanceof Set
        ? value
        : Object.values(value);
  for (const child of children) {
    if (nestsDeeperThan(child, limit, depth + 1, ancestors)) return true;
  }
  ancestors.delete(value);
  return false;
}

/**
 * Text that the reviver would return unchanged: no key or tag starting with "$" (`"$`), and no `\u`
 * escape that could spell one. Most stored values are such text, and JSON.parse without a reviver is
 * several times faster. Single-character searches first: they are far cheaper than two-character ones.
 */
function needsReviver(encoded: string): boolean {
  return (
    (encoded.indexOf("$") !== -1 && encoded.includes('"$')) ||
    (encoded.indexOf("\\") !== -1 && encoded.includes("\\u"))
  );
}

export const typedJsonCodec: ValueCodec = {
  name: "typed-json",
  encode(value: unknown): string {
    if (value !== undefined && isPlainJson(value, 0)) return JSON.stringify(value);
    if (nestsDeeperThan(value, MAX_VALUE_DEPTH, 0, new Set())) {
      throw sessionTooLarge(`a session value nests deeper than ${MAX_VALUE_DEPTH} levels`);
    }
    let encoded: string | undefined;
    try {
      encoded = JSON.stringify(value, replacer);
    } catch (error) {
      if (error instanceof SessionCodecError) throw error;
      throw new SessionCodecError(`cannot encode session value: ${(error as Error).message}`, error);
    }
    if (encoded === undefined) throw new SessionCodecError("cannot encode an undefined session value");
    return encoded;
  },
  decode(encoded: string): unknown {
    try {
      return needsReviver(encoded) ? JSON.parse(encoded, reviver) : JSON.parse(encoded);
    } catch (error) {
      if (error instanceof SessionCodecError) throw error;
      throw new SessionCodecError(
        `stored session value is not valid JSON: ${(error as Error).message}`,
        error,
      );
    }
  },
};
