import { SessionCodecError, sessionTooLarge } from "../../../common/errors.js";
import {
  defineOwn,
  emptyObject,
  ForeignBytes,
  ForeignDecimal,
  ForeignOpaque,
  ForeignSet,
  ForeignTime,
  type ForeignValue,
  integerValue,
  isPlainObject,
  keepsKeyOrder,
} from "../../foreign-value.js";
import type { SpringLimits } from "../spring-codec.js";
import {
  CLASS_PROPERTY,
  type JacksonEntry,
  type JacksonNode,
  type JacksonString,
  NULL_NODE,
  stringNode,
} from "./jackson-node.js";
import {
  collectionKind,
  FLOAT_WRAPPERS,
  INTEGER_WRAPPERS,
  isIntegerText,
  type JacksonShape,
  keepsClassWhenChanged,
  shapeOf,
  TEXT_WRAPPERS,
  WRITTEN_CLASSES,
} from "./jackson-types.js";
import { javaDoubleText } from "./jackson-writer.js";

/** The node an opaque value was read from: the only way a POJO or unknown class is ever written. */
const opaqueNodes = new WeakMap<ForeignOpaque, JacksonNode>();

/**
 * The node each object, array, Map and typed value of a view was read from. A value Node hands back
 * (changed in place or not) is written against it: what did not change keeps its bytes, a Long stays
 * `["java.lang.Long",5]`, a double `1.0` stays a double, a TreeMap stays a TreeMap.
 */
const sourceNodes = new WeakMap<object, JacksonNode>();

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** java.time.Instant as JavaTimeModule writes it: seconds with nanoseconds (1404360000.000000000). */
const INSTANT = /^([0-9]+)(?:\.([0-9]{1,9}))?$/;

function opaque(node: JacksonNode, className: string, description: string): ForeignOpaque {
  const value = new ForeignOpaque("json", className, description);
  opaqueNodes.set(value, node);
  return value;
}

function remember<T extends object>(value: T, node: JacksonNode): T {
  sourceNodes.set(value, node);
  return value;
}

function numberValue(text: string): number | bigint {
  return isIntegerText(text) ? integerValue(BigInt(text)) : Number(text);
}

/**
 * Node's view of a value (see foreign-value.ts): bare JSON scalars as JavaScript (integers past 2^53
 * as BigInt), Lists as arrays, Maps as null-prototype objects (a Map when the keys would not keep their
 * order), Sets as ForeignSet (frozen for the unmodifiable ones), java.util.Date and java.time.Instant as
 * ForeignTime, BigDecimal as ForeignDecimal, byte[] as ForeignBytes, the boxed numbers Jackson types
 * inside collections (`["java.lang.Long",5]`) as numbers. Any other class (a POJO, Spring Security's
 * classes) and JSON without a type id are ForeignOpaque, written back as read.
 */
export function jacksonToValue(node: JacksonNode): ForeignValue {
  switch (node.k) {
    case "null":
      return null;
    case "bool":
      return node.value;
    case "number":
      return numberValue(node.text);
    case "string":
      return node.value;
  }
  const shape = shapeOf(node);
  if (shape.kind === "object") return objectView(node, shape.className, shape.fields);
  if (shape.kind === "wrapper") return wrapperView(node, shape.className, shape.payload);
  const what = node.k === "object" ? "object" : "array";
  return opaque(
    node,
    `(JSON ${what})`,
    `a JSON ${what} without a Java type id (Jackson cannot read it back as Object), kept as read`,
  );
}

function objectView(node: JacksonNode, className: string, fields: readonly JacksonEntry[]): ForeignValue {
  if (collectionKind(className) !== "map")
    return opaque(node, className, `a Java object (${className}) as Jackson wrote it, kept as read`);
  const keys = fields.map(([key]) => key.value);
  if (keepsKeyOrder(keys)) {
    const object = emptyObject();
    for (const [key, value] of fields) defineOwn(object, key.value, jacksonToValue(value));
    return remember(object, node);
  }
  return remember(new Map(fields.map(([key, value]) => [key.value, jacksonToValue(value)])), node);
}

function wrapperView(node: JacksonNode, className: string, payload: JacksonNode): ForeignValue {
  const kind = collectionKind(className);
  if (payload.k === "array" && (kind === "list" || kind === "set" || kind === "frozen-set")) {
    const items = payload.items.map(jacksonToValue);
    return remember(kind === "list" ? items : new ForeignSet(items, kind === "frozen-set"), node);
  }
  const scalar = scalarWrapperValue(className, payload);
  if (scalar !== undefined) return scalar;
  if (className === WRITTEN_CLASSES.decimal && payload.k === "number")
    return remember(new ForeignDecimal(payload.text), node);
  if (className === WRITTEN_CLASSES.date && payload.k === "number" && isIntegerText(payload.text))
    return remember(new ForeignTime(BigInt(payload.text) * 1_000_000n), node);
  if (className === "java.time.Instant" && payload.k === "number") {
    const match = INSTANT.exec(payload.text);
    if (match !== null) {
      const nanos = BigInt((match[2] ?? "").padEnd(9, "0"));
      return remember(new ForeignTime(BigInt(match[1] as string) * 1_000_000_000n + nanos), node);
    }
  }
  if (className === WRITTEN_CLASSES.bytes && payload.k === "string" && BASE64.test(payload.value))
    return remember(new ForeignBytes(new Uint8Array(Buffer.from(payload.value, "base64"))), node);
  return opaque(node, className, `a Java value (${className}) as Jackson wrote it, kept as read`);
}

/** The number, string or boolean a boxed scalar wrapper holds; undefined for anything else. */
function scalarWrapperValue(className: string, payload: JacksonNode): ForeignValue | undefined {
  if (payload.k === "number") {
    if (INTEGER_WRAPPERS.has(className) && isIntegerText(payload.text)) return numberValue(payload.text);
    if (FLOAT_WRAPPERS.has(className)) return Number(payload.text);
  }
  if (payload.k === "string" && TEXT_WRAPPERS.has(className)) return payload.value;
  if (payload.k === "bool" && className === "java.lang.Boolean") return payload.value;
  return undefined;
}

/** The primitive a node stands for (bare, or a boxed scalar wrapper), else undefined. */
function primitiveOf(node: JacksonNode): ForeignValue | undefined {
  if (node.k !== "array" && node.k !== "object") return jacksonToValue(node);
  const shape: JacksonShape = shapeOf(node);
  return shape.kind === "wrapper" ? scalarWrapperValue(shape.className, shape.payload) : undefined;
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value;
  return (value as object).constructor?.name ?? "an object";
}

function wrapper(className: string, payload: JacksonNode): JacksonNode {
  return { k: "array", items: [stringNode(className), payload] };
}

/**
 * Builds the nodes of values Node writes. Every class id it writes comes from WRITTEN_CLASSES or is
 * the (allowlisted, see jackson-types.ts) collection class a value was read as; opaque nodes only as read.
 */
export class JacksonBuilder {
  private nodes = 0;

  constructor(private readonly limits: SpringLimits) {}

  build(value: unknown, hint: JacksonNode | undefined, depth: number): JacksonNode {
    if (++this.nodes > this.limits.maxNodes)
      throw sessionTooLarge(`a Spring session value of more than ${this.limits.maxNodes} JSON values`);
    if (typeof value !== "object" || value === null) {
      const leaf = value === undefined ? null : value;
      // Unchanged: a Long stays ["java.lang.Long",5], a double 1.0 stays "1.0".
      if (hint !== undefined && Object.is(primitiveOf(hint), leaf)) return hint;
      return this.primitive(leaf);
    }
    if (value instanceof ForeignOpaque) {
      const node = opaqueNodes.get(value);
      if (node === undefined)
        throw new SessionCodecError(
          "a ForeignOpaque that was not read from a Spring JSON value cannot be written",
        );
      return node;
    }
    const source = sourceNodes.get(value);
    if (Array.isArray(value)) return this.collection(value, false, source, depth);
    if (value instanceof ForeignSet)
      return this.collection(value.items, value.frozen ? "frozen" : "set", source, depth);
    if (value instanceof Map) {
      const entries = [...value].map(([key, item]): [string, unknown] => {
        if (typeof key !== "string")
          throw new SessionCodecError(`a Spring JSON map key must be a string, not ${describe(key)}`);
        return [key, item];
      });
      return this.map(entries, source, depth);
    }
    if (isPlainObject(value))
      return this.map(
        Object.keys(value).map((key) => [key, value[key]]),
        source,
        depth,
      );
    return this.typedScalar(value, source, depth);
  }

  private primitive(value: unknown): JacksonNode {
    switch (typeof value) {
      case "boolean":
        return { k: "bool", value };
      case "number":
        // An integer is bare (Jackson reads it as an Integer, a Long or a BigInteger by size).
        if (Number.isSafeInteger(value) && !Object.is(value, -0)) return { k: "number", text: String(value) };
        return { k: "number", text: javaDoubleText(value) };
      case "bigint":
        // Bare as well: read back as a Long or a BigInteger, and Spring Security's allowlist admits it
        // (it refuses a ["java.math.BigInteger",n] wrapper).
        return { k: "number", text: value.toString() };
      case "string":
        return stringNode(value);
      case "object":
        return NULL_NODE;
      default:
        throw new SessionCodecError(`a value Spring sessions cannot hold: ${typeof value}`);
    }
  }

  private enter(depth: number): void {
    if (depth > this.limits.maxDepth)
      throw sessionTooLarge(`a value nested deeper than ${this.limits.maxDepth} JSON levels`);
  }

  private collection(
    items: readonly unknown[],
    set: false | "set" | "frozen",
    source: JacksonNode | undefined,
    depth: number,
  ): JacksonNode {
    // The wrapper array and its payload: two levels.
    this.enter(depth + 2);
    const read = source === undefined ? undefined : shapeOf(source);
    const readClass = read?.kind === "wrapper" && read.payload.k === "array" ? read.className : undefined;
    const readItems = read?.kind === "wrapper" && read.payload.k === "array" ? read.payload.items : undefined;
    const built = Array.from(items, (item, i) => this.build(item, readItems?.[i], depth + 2));
    const kind = set === false ? "list" : set === "set" ? "set" : "frozen-set";
    const sameKind = readClass !== undefined && collectionKind(readClass) === kind;
    if (sameKind && readItems?.length === built.length && built.every((node, i) => node === readItems[i]))
      return source as JacksonNode;
    const className =
      sameKind && keepsClassWhenChanged(readClass)
        ? readClass
        : kind === "list"
          ? WRITTEN_CLASSES.list
          : kind === "set"
            ? WRITTEN_CLASSES.set
            : WRITTEN_CLASSES.frozenSet;
    return wrapper(className, { k: "array", items: built });
  }

  private map(entries: [string, unknown][], source: JacksonNode | undefined, depth: number): JacksonNode {
    this.enter(depth + 1);
    const read = source === undefined ? undefined : shapeOf(source);
    const readFields =
      read?.kind === "object" && collectionKind(read.className) === "map" ? read.fields : undefined;
    const readByKey = new Map<string, JacksonEntry>(readFields?.map((entry) => [entry[0].value, entry]));
    let unchanged = readFields?.length === entries.length;
    const built = entries.map(([key, item], i): JacksonEntry => {
      // Jackson would take this key for the map's type id: a class named by data.
      if (key === CLASS_PROPERTY)
        throw new SessionCodecError(`a map with a "${CLASS_PROPERTY}" key cannot be written as Spring JSON`);
      const readEntry = readByKey.get(key);
      const node = this.build(item, readEntry?.[1], depth + 1);
      const keyNode: JacksonString = readEntry?.[0] ?? stringNode(key);
      if (readFields?.[i] !== readEntry || readEntry?.[1] !== node) unchanged = false;
      return [keyNode, node];
    });
    if (unchanged) return source as JacksonNode;
    const className =
      read?.kind === "object" && readFields !== undefined && keepsClassWhenChanged(read.className)
        ? read.className
        : WRITTEN_CLASSES.map;
    return { k: "object", entries: [[stringNode(CLASS_PROPERTY), stringNode(className)], ...built] };
  }

  private typedScalar(value: object, source: JacksonNode | undefined, depth: number): JacksonNode {
    this.enter(depth + 1);
    const read = source === undefined ? undefined : jacksonToValue(source);
    if (value instanceof Date || value instanceof ForeignTime) {
      const ms = value instanceof Date ? value.getTime() : value.toDate().getTime();
      if (!Number.isSafeInteger(ms)) throw new SessionCodecError("an invalid Date cannot be written");
      if (
        read instanceof ForeignTime &&
        value instanceof ForeignTime &&
        read.epochNanoseconds === value.epochNanoseconds
      )
        return source as JacksonNode;
      return wrapper(WRITTEN_CLASSES.date, { k: "number", text: String(ms) });
    }
    if (value instanceof ForeignDecimal) {
      if (read instanceof ForeignDecimal && read.text === value.text) return source as JacksonNode;
      if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(value.text))
        throw new SessionCodecError(
          `the decimal ${JSON.stringify(value.text)} has no java.math.BigDecimal JSON form`,
        );
      return wrapper(WRITTEN_CLASSES.decimal, { k: "number", text: value.text });
    }
    if (value instanceof ForeignBytes) {
      if (read instanceof ForeignBytes && Buffer.from(read.bytes).equals(value.bytes))
        return source as JacksonNode;
      return wrapper(WRITTEN_CLASSES.bytes, stringNode(Buffer.from(value.bytes).toString("base64")));
    }
    throw new SessionCodecError(`a value Spring sessions cannot hold: ${describe(value)}`);
  }
}

/** The node of a value Node writes (see JacksonBuilder). */
export function valueToJackson(value: unknown, limits: SpringLimits): JacksonNode {
  return new JacksonBuilder(limits).build(value, undefined, 0);
}
