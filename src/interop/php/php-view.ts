import { SessionCodecError, sessionTooLarge } from "../../common/errors.js";
import {
  defineOwn,
  emptyObject,
  ForeignBytes,
  ForeignOpaque,
  type ForeignValue,
  integerValue,
  isPlainObject,
  keepsKeyOrder,
} from "../foreign-value.js";
import type { PhpKey, PhpNode } from "./php-node.js";
import { INT64_MAX, INT64_MIN } from "./php-node.js";

const MAX_DEPTH = 128;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** The node an opaque value was read from: the only way a PHP object is ever written. */
const opaqueNodes = new WeakMap<ForeignOpaque, PhpNode>();

/** Whether PHP refuses objects in this app: "refuse" treats a record holding one as corrupt. */
export type PhpObjects = "opaque" | "refuse";

function text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function opaque(node: PhpNode, className: string, description: string): ForeignOpaque {
  const value = new ForeignOpaque("php", className, description);
  opaqueNodes.set(value, node);
  return value;
}

function keyValue(key: PhpKey): ForeignValue {
  if (key.k === "int") return integerValue(key.value);
  return text(key.bytes) ?? new ForeignBytes(key.bytes);
}

/**
 * Node's view of a PHP value (see foreign-value.ts): int as number (BigInt past 2^53), float as number,
 * a string as text when it is valid UTF-8 (else ForeignBytes), an array as a list when its keys are
 * 0..n-1 in order, else as a null-prototype object (string keys that keep their order) or a Map.
 * A reference reads as the value it names. Objects and enums are ForeignOpaque.
 */
export function phpToValue(node: PhpNode, objects: PhpObjects = "opaque"): ForeignValue {
  return view(node, objects, new Set());
}

function view(node: PhpNode, objects: PhpObjects, open: Set<PhpNode>): ForeignValue {
  switch (node.k) {
    case "null":
      return null;
    case "bool":
      return node.value;
    case "int":
      return integerValue(node.value);
    case "float":
      return node.value;
    case "string":
      return text(node.bytes) ?? new ForeignBytes(node.bytes);
    case "ref":
      // A reference into a value being read (`$a[0] = &$a`) has no finite view.
      if (open.has(node.target)) return opaque(node, "reference", "a recursive PHP reference");
      return view(node.target, objects, open);
    case "object":
    case "custom":
    case "enum": {
      const name = latin1.decode(node.k === "enum" ? node.name : node.className);
      if (objects === "refuse")
        throw new SessionCodecError(`a PHP session holding an object of class ${JSON.stringify(name)}`);
      const what =
        node.k === "enum"
          ? "a PHP enum case"
          : node.k === "custom"
            ? "a PHP Serializable object"
            : "a PHP object";
      return opaque(
        node,
        node.k === "enum" ? (name.split(":")[0] ?? name) : name,
        `${what} (${name}), kept as read`,
      );
    }
    case "array": {
      open.add(node);
      try {
        const entries = node.entries;
        if (entries.every(([key], i) => key.k === "int" && key.value === BigInt(i)))
          return entries.map(([, value]) => view(value, objects, open));
        const keys = entries.map(([key]) => keyValue(key));
        // PHP does not tell the int key 5 from the string "5": an object is fine when it keeps the order.
        const names = keys.map((key) => (typeof key === "object" ? undefined : String(key)));
        if (names.every((name) => name !== undefined) && keepsKeyOrder(names)) {
          const object = emptyObject();
          entries.forEach(([, value], i) => {
            defineOwn(object, names[i] as string, view(value, objects, open));
          });
          return object;
        }
        const map = new Map<ForeignValue, ForeignValue>();
        entries.forEach(([, value], i) => {
          map.set(keys[i] as ForeignValue, view(value, objects, open));
        });
        return map;
      } finally {
        open.delete(node);
      }
    }
  }
}

/** The array key PHP would make of this key: a decimal string in the int range becomes an int. */
export function phpKey(key: unknown): PhpKey {
  if (typeof key === "string") {
    if (/^(0|-?[1-9][0-9]{0,18})$/.test(key)) {
      const value = BigInt(key);
      if (value >= INT64_MIN && value <= INT64_MAX) return { k: "int", value };
    }
    return { k: "string", bytes: stringBytes(key) };
  }
  if (typeof key === "number" && Number.isSafeInteger(key)) return { k: "int", value: BigInt(key) };
  if (typeof key === "bigint" && key >= INT64_MIN && key <= INT64_MAX) return { k: "int", value: key };
  if (key instanceof ForeignBytes) return { k: "string", bytes: key.bytes };
  throw new SessionCodecError(`a PHP array key must be an int or a string, not ${describe(key)}`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string has a lone surrogate (TextEncoder would silently write U+FFFD for it). */
export function hasLoneSurrogate(value: string): boolean {
  return LONE_SURROGATE.test(value);
}

function stringBytes(value: string): Uint8Array {
  if (hasLoneSurrogate(value))
    throw new SessionCodecError("a string with a lone UTF-16 surrogate cannot be written as UTF-8");
  return encoder.encode(value);
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value;
  return (value as object).constructor?.name ?? "an object";
}

/**
 * The PHP node for a value Node wrote. Integers (safe ones and BigInt in the int64 range) are `i:`,
 * other numbers `d:` (so -0, NaN and the infinities too); arrays are lists, objects and Maps arrays with
 * their keys. A ForeignOpaque is written back only as the node it was read from; nothing else becomes
 * a PHP object.
 */
export function valueToPhp(value: unknown, depth = 0): PhpNode {
  if (depth > MAX_DEPTH) throw sessionTooLarge(`a value nested deeper than ${MAX_DEPTH}`);
  if (value === null || value === undefined) return { k: "null" };
  switch (typeof value) {
    case "boolean":
      return { k: "bool", value };
    case "number":
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return { k: "int", value: BigInt(value) };
      return { k: "float", value };
    case "bigint":
      if (value < INT64_MIN || value > INT64_MAX)
        throw new SessionCodecError(`the integer ${value} is outside PHP's 64-bit int range`);
      return { k: "int", value };
    case "string":
      return { k: "string", bytes: stringBytes(value) };
  }
  if (value instanceof ForeignBytes) return { k: "string", bytes: value.bytes };
  if (value instanceof ForeignOpaque) {
    const node = opaqueNodes.get(value);
    if (node === undefined)
      throw new SessionCodecError("a ForeignOpaque that was not read from a PHP session cannot be written");
    return node;
  }
  if (Array.isArray(value))
    return {
      k: "array",
      entries: value.map((item, i) => [{ k: "int", value: BigInt(i) }, valueToPhp(item, depth + 1)]),
    };
  if (value instanceof Map)
    return {
      k: "array",
      entries: [...value].map(([key, item]) => [phpKey(key), valueToPhp(item, depth + 1)]),
    };
  if (isPlainObject(value))
    return {
      k: "array",
      entries: Object.keys(value).map((key) => [phpKey(key), valueToPhp(value[key], depth + 1)]),
    };
  throw new SessionCodecError(`a value PHP sessions cannot hold: ${describe(value)}`);
}
