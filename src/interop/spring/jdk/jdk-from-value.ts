// What Node writes as Java serialization: the JDK classes of jdk-classes.ts for new values, and the nodes
// values were read from when they come back unchanged (jdk-view.ts keeps which node made which view).
import { SessionCodecError, sessionTooLarge } from "../../../common/errors.js";
import {
  ForeignBytes,
  ForeignDecimal,
  ForeignOpaque,
  ForeignSet,
  ForeignTime,
  type ForeignValue,
  isPlainObject,
} from "../../foreign-value.js";
import type { SpringLimits } from "../spring-codec.js";
import {
  javaArrayList,
  javaBigDecimal,
  javaBigInteger,
  javaBoolean,
  javaBytes,
  javaDate,
  javaDouble,
  javaInteger,
  javaLinkedHashMap,
  javaLinkedHashSet,
  javaLong,
  javaString,
} from "./jdk-classes.js";
import { parseBigDecimal } from "./jdk-decimal.js";
import { type JdkNode, NULL_NODE } from "./jdk-node.js";
import { jdkToValue, opaqueSourceOf, viewSourceOf } from "./jdk-view.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether a value Node hands back is, deep down, the view a node gives (nothing was changed). */
function sameView(a: unknown, b: ForeignValue): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return false;
  if (Array.isArray(a))
    return (
      Array.isArray(b) && a.length === b.length && a.every((item, i) => sameView(item, b[i] as ForeignValue))
    );
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    const theirs = [...b];
    return [...a].every(([key, item], i) => {
      const [otherKey, otherItem] = theirs[i] as [ForeignValue, ForeignValue];
      return sameView(key, otherKey) && sameView(item, otherItem);
    });
  }
  if (a instanceof ForeignSet) return b instanceof ForeignSet && sameView(a.items, b.items as ForeignValue[]);
  if (a instanceof ForeignBytes)
    return (
      b instanceof ForeignBytes &&
      a.bytes.length === b.bytes.length &&
      a.bytes.every((byte, i) => byte === b.bytes[i])
    );
  if (a instanceof ForeignDecimal) return b instanceof ForeignDecimal && a.text === b.text;
  if (a instanceof ForeignTime)
    return (
      b instanceof ForeignTime &&
      a.epochNanoseconds === b.epochNanoseconds &&
      a.utcOffsetSeconds === b.utcOffsetSeconds &&
      a.zoneName === b.zoneName
    );
  if (a instanceof ForeignOpaque)
    return b instanceof ForeignOpaque && opaqueSourceOf(a) === opaqueSourceOf(b);
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    const theirs = Object.keys(b);
    return (
      keys.length === theirs.length &&
      keys.every((key, i) => key === theirs[i] && sameView(a[key], b[key] as ForeignValue))
    );
  }
  return false;
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value;
  return (value as object).constructor?.name ?? "an object";
}

function numberNode(value: number): JdkNode {
  if (Number.isInteger(value) && !Object.is(value, -0)) {
    if (value >= -(2 ** 31) && value < 2 ** 31) return javaInteger(value);
    if (Number.isSafeInteger(value)) return javaLong(BigInt(value));
  }
  return javaDouble(value);
}

/** Floor division of nanoseconds to milliseconds (a Date before 1970 rounds down, as Java's does). */
function floorMillis(nanoseconds: bigint): bigint {
  const ms = nanoseconds / 1_000_000n;
  return nanoseconds < 0n && ms * 1_000_000n !== nanoseconds ? ms - 1n : ms;
}

class ValueWriter {
  private readonly open = new Set<object>();
  private count = 0;

  constructor(private readonly limits: SpringLimits) {}

  node(value: unknown, depth: number): JdkNode {
    if (++this.count > this.limits.maxNodes)
      throw sessionTooLarge(`a value of more than ${this.limits.maxNodes} values`);
    if (depth > this.limits.maxDepth)
      throw sessionTooLarge(`a value nested deeper than ${this.limits.maxDepth}`);
    if (value === null || value === undefined) return NULL_NODE;
    switch (typeof value) {
      case "boolean":
        return javaBoolean(value);
      case "number":
        return numberNode(value);
      case "bigint":
        return value >= INT64_MIN && value <= INT64_MAX ? javaLong(value) : javaBigInteger(value);
      case "string":
        return javaString(value);
      case "object":
        break;
      default:
        throw new SessionCodecError(`a value a Java session cannot hold: ${typeof value}`);
    }
    const source = viewSourceOf(value);
    if (source !== undefined && sameView(value, jdkToValue(source, this.limits))) return source;
    if (value instanceof ForeignOpaque) {
      const node = opaqueSourceOf(value);
      if (node === undefined)
        throw new SessionCodecError(
          `a ForeignOpaque (${value.className}) that was not read from a Java session cannot be written`,
        );
      return node;
    }
    if (value instanceof Date) {
      const ms = value.getTime();
      if (Number.isNaN(ms))
        throw new SessionCodecError("an invalid Date cannot be written as a java.util.Date");
      return javaDate(BigInt(ms));
    }
    if (value instanceof ForeignTime) return javaDate(floorMillis(value.epochNanoseconds));
    if (value instanceof ForeignBytes) return javaBytes(value.bytes);
    if (value instanceof ForeignDecimal) {
      const decimal = parseBigDecimal(value.text);
      if (decimal === undefined)
        throw new SessionCodecError(
          `the decimal ${JSON.stringify(value.text)} is not a java.math.BigDecimal`,
        );
      return javaBigDecimal(decimal.unscaled, decimal.scale);
    }
    if (this.open.has(value)) throw new SessionCodecError("a value that contains itself cannot be written");
    this.open.add(value);
    try {
      if (value instanceof ForeignSet)
        return javaLinkedHashSet(value.items.map((item) => this.node(item, depth + 1)));
      if (Array.isArray(value)) return javaArrayList(value.map((item) => this.node(item, depth + 1)));
      if (value instanceof Map)
        return javaLinkedHashMap(
          [...value].map(([key, item]) => [this.node(key, depth + 1), this.node(item, depth + 1)] as const),
        );
      if (isPlainObject(value))
        return javaLinkedHashMap(
          Object.keys(value).map((key) => [javaString(key), this.node(value[key], depth + 1)] as const),
        );
    } finally {
      this.open.delete(value);
    }
    throw new SessionCodecError(`a value a Java session cannot hold: ${describe(value)}`);
  }
}

/**
 * The node of a value Node writes, as types a plain ObjectInputStream loads: String, Boolean, Integer
 * (int32), Long (other safe integers, BigInt in int64), BigInteger (larger BigInt), Double (other
 * numbers), java.util.Date (Date, ForeignTime to the millisecond), byte[] (ForeignBytes), BigDecimal
 * (ForeignDecimal), ArrayList (arrays), LinkedHashMap (objects, Maps), LinkedHashSet (ForeignSet).
 * A view handed back unchanged, and a ForeignOpaque, are the nodes they were read from; an opaque value
 * that was not read is refused, and no other class is ever named from data.
 */
export function jdkFromValue(value: unknown, limits: SpringLimits): JdkNode {
  return new ValueWriter(limits).node(value, 0);
}
