import { SessionCodecError } from "../../../common/errors.js";
import { encodeModifiedUtf8 } from "./jdk-mutf.js";
import {
  type JdkAnnotation,
  type JdkClassData,
  type JdkClassDesc,
  type JdkField,
  type JdkNode,
  type JdkObject,
  type JdkPlainDesc,
  type JdkString,
  NULL_NODE,
  SC,
} from "./jdk-node.js";

/**
 * The JDK classes Node writes, with the class descriptors OpenJDK 17 writes for them (names,
 * serialVersionUIDs, flags and fields as test/fixtures/interop/spring-jdk/corpus.txt has them; the unit
 * tests check each builder against those bytes), and the data layout each one's writeObject produces.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function javaString(text: string): JdkString {
  return { k: "string", text, utf: encodeModifiedUtf8(text), long: false };
}

// Java interns field signatures, so one stream names each signature once: one node per signature here too.
const signatures = new Map<string, JdkString>();
function signature(text: string): JdkString {
  let node = signatures.get(text);
  if (node === undefined) {
    node = javaString(text);
    signatures.set(text, node);
  }
  return node;
}

function suidBytes(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, value);
  return bytes;
}

function classDesc(
  name: string,
  suid: bigint,
  flags: number,
  fields: ReadonlyArray<string>,
  superDesc: JdkClassDesc | null = null,
): JdkPlainDesc {
  return {
    k: "desc",
    name: { text: name, utf: encodeModifiedUtf8(name) },
    suid: suidBytes(suid),
    flags,
    // "Iname" for a primitive field, "Lname:Ltype;" for an object field.
    fields: fields.map((field): JdkField => {
      const [head, type] = field.split(":") as [string, string | undefined];
      const fieldName = head.slice(1);
      return {
        code: head[0] as string,
        name: { text: fieldName, utf: encodeModifiedUtf8(fieldName) },
        type: type === undefined ? null : signature(type),
      };
    }),
    annotation: [],
    superDesc,
  };
}

const SERIAL = SC.SERIALIZABLE;
const WRITES = SC.SERIALIZABLE | SC.WRITE_METHOD;

const NUMBER = classDesc("java.lang.Number", -8742448824652078965n, SERIAL, []);
const INTEGER = classDesc("java.lang.Integer", 1360826667806852920n, SERIAL, ["Ivalue"], NUMBER);
const LONG = classDesc("java.lang.Long", 4290774380558885855n, SERIAL, ["Jvalue"], NUMBER);
const DOUBLE = classDesc("java.lang.Double", -9172774392245257468n, SERIAL, ["Dvalue"], NUMBER);
const BOOLEAN = classDesc("java.lang.Boolean", -3665804199014368530n, SERIAL, ["Zvalue"]);
const DATE = classDesc("java.util.Date", 7523967970034938905n, WRITES, []);
const BYTES = classDesc("[B", -5984413125824719648n, SERIAL, []);
const BIG_INTEGER = classDesc(
  "java.math.BigInteger",
  -8287574255936472291n,
  WRITES,
  ["IbitCount", "IbitLength", "IfirstNonzeroByteNum", "IlowestSetBit", "Isignum", "[magnitude:[B"],
  NUMBER,
);
const BIG_DECIMAL = classDesc(
  "java.math.BigDecimal",
  6108874887143696463n,
  WRITES,
  ["Iscale", "LintVal:Ljava/math/BigInteger;"],
  NUMBER,
);
const ARRAY_LIST = classDesc("java.util.ArrayList", 8683452581122892189n, WRITES, ["Isize"]);
const HASH_MAP = classDesc("java.util.HashMap", 362498820763181265n, WRITES, ["FloadFactor", "Ithreshold"]);
const LINKED_HASH_MAP = classDesc(
  "java.util.LinkedHashMap",
  3801124242820219131n,
  SERIAL,
  ["ZaccessOrder"],
  HASH_MAP,
);
const HASH_SET = classDesc("java.util.HashSet", -5024744406713321676n, WRITES, []);
const LINKED_HASH_SET = classDesc("java.util.LinkedHashSet", -2851667679971038690n, SERIAL, [], HASH_SET);

/** Big-endian bytes written with a DataView. */
function bytesOf(size: number, write: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  write(new DataView(bytes.buffer));
  return bytes;
}

function data(
  prim: Uint8Array,
  objects: JdkNode[] = [],
  annotation: JdkAnnotation | null = null,
): JdkClassData {
  return { prim, objects, annotation };
}

const NO_DATA = data(new Uint8Array(0));

function object(desc: JdkClassDesc, classData: JdkClassData[]): JdkObject {
  return { k: "object", desc, classData };
}

function block(bytes: Uint8Array): JdkAnnotation[number] {
  return { k: "block", bytes, long: false };
}

export function javaInteger(value: number): JdkObject {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31)
    throw new SessionCodecError(`${value} is not a Java int`);
  return object(INTEGER, [NO_DATA, data(bytesOf(4, (v) => v.setInt32(0, value)))]);
}

export function javaLong(value: bigint): JdkObject {
  if (value < INT64_MIN || value > INT64_MAX) throw new SessionCodecError(`${value} is not a Java long`);
  return object(LONG, [NO_DATA, data(bytesOf(8, (v) => v.setBigInt64(0, value)))]);
}

export function javaDouble(value: number): JdkObject {
  return object(DOUBLE, [NO_DATA, data(bytesOf(8, (v) => v.setFloat64(0, value)))]);
}

export function javaBoolean(value: boolean): JdkObject {
  return object(BOOLEAN, [data(Uint8Array.of(value ? 1 : 0))]);
}

/** A java.util.Date: no fields; its writeObject writes the epoch milliseconds as block data. */
export function javaDate(epochMs: bigint): JdkObject {
  return object(DATE, [data(new Uint8Array(0), [], [block(bytesOf(8, (v) => v.setBigInt64(0, epochMs)))])]);
}

export function javaBytes(bytes: Uint8Array): JdkNode {
  return { k: "array", desc: BYTES, elements: new Uint8Array(bytes) };
}

/** The magnitude BigInteger writes: big-endian, no leading zero bytes (zero: no bytes). */
function magnitude(value: bigint): Uint8Array {
  let hex = (value < 0n ? -value : value).toString(16);
  if (hex === "0") return new Uint8Array(0);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * A java.math.BigInteger: its writeObject puts signum and magnitude, and -1 / -2 in the four fields it
 * no longer uses (what the JDK writes for compatibility).
 */
export function javaBigInteger(value: bigint): JdkObject {
  const signum = value < 0n ? -1 : value > 0n ? 1 : 0;
  const prim = bytesOf(20, (v) => {
    v.setInt32(0, -1);
    v.setInt32(4, -1);
    v.setInt32(8, -2);
    v.setInt32(12, -2);
    v.setInt32(16, signum);
  });
  return object(BIG_INTEGER, [NO_DATA, data(prim, [javaBytes(magnitude(value))], [])]);
}

/** A java.math.BigDecimal: unscaledValue × 10^-scale. */
export function javaBigDecimal(unscaled: bigint, scale: number): JdkObject {
  const prim = bytesOf(4, (v) => v.setInt32(0, scale));
  return object(BIG_DECIMAL, [NO_DATA, data(prim, [javaBigInteger(unscaled)], [])]);
}

export function javaArrayList(items: JdkNode[]): JdkObject {
  const size = bytesOf(4, (v) => v.setInt32(0, items.length));
  return object(ARRAY_LIST, [data(size, [], [block(size), ...items])]);
}

/**
 * The table size of a HashMap built with `new HashMap<>()` and one put per entry: 16, doubled each time
 * the size passes three quarters of it. `threshold` is what the field holds (0 before the first put).
 */
function hashTable(size: number): { capacity: number; threshold: number } {
  let capacity = 16;
  while (size > capacity * 0.75) capacity *= 2;
  return { capacity, threshold: size === 0 ? 0 : capacity * 0.75 };
}

function hashMapData(entries: ReadonlyArray<readonly [JdkNode, JdkNode]>): JdkClassData {
  const { capacity, threshold } = hashTable(entries.length);
  const prim = bytesOf(8, (v) => {
    v.setFloat32(0, 0.75);
    v.setInt32(4, threshold);
  });
  const head = bytesOf(8, (v) => {
    v.setInt32(0, capacity);
    v.setInt32(4, entries.length);
  });
  return data(prim, [], [block(head), ...entries.flat()]);
}

/** A java.util.LinkedHashMap (`new LinkedHashMap<>()`, then put in this order). */
export function javaLinkedHashMap(entries: ReadonlyArray<readonly [JdkNode, JdkNode]>): JdkObject {
  return object(LINKED_HASH_MAP, [hashMapData(entries), data(Uint8Array.of(0))]);
}

/** Java's String.hashCode. */
function stringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * A java.util.HashMap with string keys, its entries in the order Java's writeObject walks them (by
 * bucket, then by insertion), so the bytes are the ones the JDK writes for the same puts.
 */
export function javaHashMap(entries: ReadonlyArray<readonly [string, JdkNode]>): JdkObject {
  const { capacity } = hashTable(entries.length);
  const bucket = (key: string) => {
    const hash = stringHash(key);
    return (hash ^ (hash >>> 16)) & (capacity - 1);
  };
  const ordered = entries
    .map(([key, value], i) => ({ key, value, i, bucket: bucket(key) }))
    .sort((a, b) => a.bucket - b.bucket || a.i - b.i)
    .map(({ key, value }) => [javaString(key), value] as const);
  return object(HASH_MAP, [hashMapData(ordered)]);
}

/** A java.util.LinkedHashSet (`new LinkedHashSet<>()`, then add in this order). */
export function javaLinkedHashSet(items: JdkNode[]): JdkObject {
  const { capacity } = hashTable(items.length);
  const head = bytesOf(12, (v) => {
    v.setInt32(0, capacity);
    v.setFloat32(4, 0.75);
    v.setInt32(8, items.length);
  });
  return object(LINKED_HASH_SET, [data(new Uint8Array(0), [], [block(head), ...items]), NO_DATA]);
}

export { NULL_NODE };
