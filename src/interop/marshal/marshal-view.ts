import { SessionCodecError, sessionTooLarge } from "../../common/errors.js";
import {
  defineOwn,
  emptyObject,
  ForeignBytes,
  ForeignOpaque,
  ForeignTime,
  type ForeignValue,
  integerValue,
  isPlainObject,
  keepsKeyOrder,
  RubySymbol,
} from "../foreign-value.js";
import { FALSE, type MIvar, type MNode, type MSymbol, NIL, symbol, TRUE } from "./marshal-node.js";
import { readRubyTime, writeRubyTime, writeTimeWithZone } from "./ruby-time.js";

const HWIA = "ActiveSupport::HashWithIndifferentAccess";
const TIME_WITH_ZONE = "ActiveSupport::TimeWithZone";
const MAX_DEPTH = 64;

/** The Marshal node an opaque value was read from: the only way one is ever written. */
const opaqueNodes = new WeakMap<ForeignOpaque, MNode>();
/** Hashes read as HashWithIndifferentAccess, written back as one. */
const indifferent = new WeakSet<object>();

/** Marks a hash (a plain object or Map) to be written as an ActiveSupport::HashWithIndifferentAccess. */
export function markIndifferent<T extends object>(hash: T): T {
  indifferent.add(hash);
  return hash;
}

export function isIndifferent(hash: object): boolean {
  return indifferent.has(hash);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

function name(symbol: MSymbol): string {
  return latin1.decode(symbol.name);
}

/** The string's Ruby encoding from its ivars: "UTF-8", "US-ASCII", another name, or null (binary). */
function encodingOf(ivars: MIvar[] | undefined): string | null | undefined {
  if (!ivars || ivars.length === 0) return null;
  if (ivars.length > 1) return undefined;
  const [[key, value]] = ivars as [MIvar];
  const ivar = name(key);
  if (ivar === "E") return value.k === "true" ? "UTF-8" : value.k === "false" ? "US-ASCII" : undefined;
  if (ivar === "encoding" && value.k === "string") return latin1.decode(value.bytes);
  return undefined;
}

function opaque(node: MNode, className: string, description: string): ForeignOpaque {
  const value = new ForeignOpaque("ruby-marshal", className, description);
  opaqueNodes.set(value, node);
  return value;
}

/** Node's view of a Marshal node (see foreign-value.ts); an unknown kind becomes a ForeignOpaque. */
export function marshalToValue(node: MNode, seen = new Map<MNode, ForeignValue>(), depth = 0): ForeignValue {
  if (depth > MAX_DEPTH) throw sessionTooLarge(`a Marshal value nested deeper than ${MAX_DEPTH} levels`);
  const known = seen.get(node);
  if (known !== undefined) return known;
  switch (node.k) {
    case "nil":
      return null;
    case "true":
      return true;
    case "false":
      return false;
    case "int":
      return node.value;
    case "bignum":
      return integerValue(node.value);
    case "float":
      return parseRubyFloat(node.text);
    case "symbol": {
      const text = decodeUtf8(node.name);
      return text === undefined ? opaque(node, "Symbol", "a Symbol that is not UTF-8") : new RubySymbol(text);
    }
    case "string": {
      const encoding = encodingOf(node.ivars);
      if (encoding === undefined) return opaque(node, "String", "a String with instance variables");
      const text = encoding === "UTF-8" || encoding === "US-ASCII" ? decodeUtf8(node.bytes) : undefined;
      if (text !== undefined && (encoding === "UTF-8" || node.bytes.every((b) => b < 0x80))) return text;
      return new ForeignBytes(node.bytes, encoding);
    }
    case "array": {
      if (node.ivars?.length) return opaque(node, "Array", "an Array with instance variables");
      const items: ForeignValue[] = [];
      seen.set(node, items);
      for (const item of node.items) items.push(marshalToValue(item, seen, depth + 1));
      return items;
    }
    case "hash":
      if (node.ivars?.length || node.defaultValue)
        return opaque(node, "Hash", "a Hash with a default value or instance variables");
      return hashToValue(node.entries, node, seen, depth);
    case "userdef":
      if (name(node.className) === "Time") {
        const time = readRubyTime(node.bytes, node.ivars);
        if (time) return time;
      }
      return opaque(node, name(node.className), "a value with its own _dump format");
    case "usermarshal": {
      const className = name(node.className);
      const data = node.data;
      if (className === TIME_WITH_ZONE && data.k === "array") {
        const [utc, zone] = data.items;
        const time = utc?.k === "userdef" ? readRubyTime(utc.bytes, utc.ivars) : undefined;
        const zoneName = zone?.k === "string" ? decodeUtf8(zone.bytes) : undefined;
        if (time && zoneName !== undefined)
          return new ForeignTime(time.epochNanoseconds, time.utcOffsetSeconds, zoneName);
      }
      return opaque(node, className, "a value with its own marshal_dump format");
    }
    case "uclass": {
      const className = name(node.className);
      if (className === HWIA && node.inner.k === "hash" && !node.inner.ivars && !node.inner.defaultValue) {
        const hash = hashToValue(node.inner.entries, node.inner, seen, depth);
        return markIndifferent(hash as object) as ForeignValue;
      }
      return opaque(node, className, "a subclass of String, Array or Hash");
    }
    case "object":
      return opaque(node, name(node.className), "a Ruby object");
    case "struct":
      return opaque(node, name(node.className), "a Ruby Struct");
    case "regexp":
      return opaque(node, "Regexp", "a Regexp");
    case "extended":
      return opaque(node, name(node.module), "an object extended with a module");
    case "class":
    case "module":
    case "oldmodule":
      return opaque(node, latin1.decode(node.name), `a ${node.k} reference`);
    case "data":
      return opaque(node, name(node.className), "a T_DATA object");
  }
}

function hashToValue(
  entries: [MNode, MNode][],
  node: MNode,
  seen: Map<MNode, ForeignValue>,
  depth: number,
): ForeignValue {
  const keys = entries.map(([key]) => key);
  const stringKeys = keys.map((key) => (key.k === "string" ? marshalToValue(key, seen, depth + 1) : null));
  if (stringKeys.every((key) => typeof key === "string") && keepsKeyOrder(stringKeys as string[])) {
    const object = emptyObject();
    seen.set(node, object);
    entries.forEach(([, value], i) => {
      defineOwn(object, stringKeys[i] as string, marshalToValue(value, seen, depth + 1));
    });
    return object;
  }
  const map = new Map<ForeignValue, ForeignValue>();
  seen.set(node, map);
  for (const [key, value] of entries)
    map.set(marshalToValue(key, seen, depth + 1), marshalToValue(value, seen, depth + 1));
  return map;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function parseRubyFloat(text: string): number {
  if (text === "inf") return Number.POSITIVE_INFINITY;
  if (text === "-inf") return Number.NEGATIVE_INFINITY;
  if (text === "nan") return Number.NaN;
  return Number(text);
}

/**
 * The Marshal node for a value Node wrote. Only data: nil, booleans, Integer, Float, String, Symbol,
 * Array, Hash, Time and HashWithIndifferentAccess (whose loading runs no user-chosen code); an opaque
 * value only as it was read. Anything else is refused, so no Ruby class is ever named by user data.
 */
export function valueToMarshal(
  value: unknown,
  seen = new Map<object, MNode>(),
  depth = 0,
  keys = new Map<string, MNode>(),
): MNode {
  if (depth > MAX_DEPTH) throw sessionTooLarge(`a value nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || value === undefined) return NIL;
  if (value === true) return TRUE;
  if (value === false) return FALSE;
  if (typeof value === "number") {
    if (Number.isInteger(value) && !Object.is(value, -0)) return integerNode(BigInt(value));
    return { k: "float", text: rubyFloatText(value) };
  }
  if (typeof value === "bigint") return integerNode(value);
  if (typeof value === "string") return utf8String(value);
  if (typeof value !== "object")
    throw new SessionCodecError(`cannot write a ${typeof value} as Ruby Marshal`);
  const known = seen.get(value);
  if (known) return known;
  if (value instanceof RubySymbol) return symbolNode(value.name);
  if (value instanceof ForeignBytes) return bytesNode(value);
  if (value instanceof ForeignTime) {
    if (value.zoneName === null) return writeRubyTime(value);
    const zoneNode = keys.get(value.zoneName) ?? utf8String(value.zoneName);
    keys.set(value.zoneName, zoneNode);
    return writeTimeWithZone(value, zoneNode);
  }
  if (value instanceof Date) return writeRubyTime(ForeignTime.fromDate(value));
  if (value instanceof ForeignOpaque) {
    const node = opaqueNodes.get(value);
    if (!node) throw new SessionCodecError("an opaque value can only be written back where it was read");
    return node;
  }
  if (Array.isArray(value)) {
    const node: MNode = { k: "array", items: [] };
    seen.set(value, node);
    for (const item of value) node.items.push(valueToMarshal(item, seen, depth + 1, keys));
    return node;
  }
  if (value instanceof Map || isPlainObject(value)) {
    const node: MNode & { k: "hash" } = { k: "hash", entries: [] };
    seen.set(value, node);
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    for (const [key, item] of entries) {
      // Ruby interns the String keys of a Hash: equal keys anywhere in the value are one object, linked.
      let keyNode = typeof key === "string" ? keys.get(key) : undefined;
      if (keyNode === undefined) {
        keyNode = valueToMarshal(key, seen, depth + 1, keys);
        if (typeof key === "string") keys.set(key, keyNode);
      }
      node.entries.push([keyNode, valueToMarshal(item, seen, depth + 1, keys)]);
    }
    return indifferent.has(value) ? { k: "uclass", className: symbol(HWIA), inner: node } : node;
  }
  throw new SessionCodecError(
    `cannot write a ${value.constructor?.name ?? "object"} as Ruby Marshal (use plain data, Map, RubySymbol, ForeignBytes, ForeignTime)`,
  );
}

function integerNode(value: bigint): MNode {
  // Ruby writes Integers outside 31 bits as Bignums (marshal.c w_object), and reads either.
  if (value >= -(2n ** 30n) && value < 2n ** 30n) return { k: "int", value: Number(value) };
  return { k: "bignum", value };
}

function rubyFloatText(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Number.POSITIVE_INFINITY) return "inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

const E_TRUE: MIvar[] = [[symbol("E"), TRUE]];

function utf8String(text: string): MNode {
  if (/\p{Surrogate}/u.test(text))
    throw new SessionCodecError("a string with a lone surrogate is not UTF-8 (use ForeignBytes)");
  return { k: "string", bytes: encoder.encode(text), ivars: E_TRUE.slice() };
}

function symbolNode(text: string): MSymbol {
  const bytes = encoder.encode(text);
  const ascii = bytes.every((b) => b < 0x80);
  return ascii ? { k: "symbol", name: bytes } : { k: "symbol", name: bytes, ivars: E_TRUE.slice() };
}

function bytesNode(value: ForeignBytes): MNode {
  const { bytes, encoding } = value;
  if (encoding === null) return { k: "string", bytes };
  if (encoding === "UTF-8") return { k: "string", bytes, ivars: E_TRUE.slice() };
  if (encoding === "US-ASCII") return { k: "string", bytes, ivars: [[symbol("E"), FALSE]] };
  return {
    k: "string",
    bytes,
    ivars: [[symbol("encoding"), { k: "string", bytes: encoder.encode(encoding) }]],
  };
}
