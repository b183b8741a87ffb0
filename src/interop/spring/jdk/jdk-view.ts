import { sessionTooLarge } from "../../../common/errors.js";
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
import { DEFAULT_SPRING_LIMITS, type SpringLimits } from "../spring-codec.js";
import { bigDecimalText } from "./jdk-decimal.js";
import { annotationOf, type FieldValue, fieldOf } from "./jdk-fields.js";
import { descName, type JdkNode, type JdkObject } from "./jdk-node.js";

const _INT64_MIN = -(2n ** 63n);
const _INT64_MAX = 2n ** 63n - 1n;

/** The node an opaque value was read from: the only way Node ever writes a class it does not map. */
const opaqueNodes = new WeakMap<ForeignOpaque, JdkNode>();
/**
 * The node each array, object, Map, set, bytes, time and decimal view was made from: handed back
 * unchanged, it is written as read (its exact class, HashMap or TreeMap, Short or Float, kept).
 */
const viewSources = new WeakMap<object, JdkNode>();

/**
 * One view being made: the containers open on the way down (a cycle has no finite view) and the values
 * left to make. A value shared by reference is viewed at each place it appears, so a few bytes of
 * references to references could ask for billions of values: the budget stops that.
 */
class Open {
  private readonly containers = new Set<JdkNode>();
  private left: number;

  constructor(maxNodes: number) {
    this.left = maxNodes;
  }

  count(): void {
    if (--this.left < 0)
      throw sessionTooLarge(
        "a Java value whose view is over the value limit (a value shared by many references)",
      );
  }

  has(node: JdkNode): boolean {
    return this.containers.has(node);
  }

  add(node: JdkNode): void {
    this.containers.add(node);
  }

  delete(node: JdkNode): void {
    this.containers.delete(node);
  }
}
type View = (node: JdkObject, open: Open) => ForeignValue | undefined;

function opaque(node: JdkNode, className: string, description: string): ForeignOpaque {
  const value = new ForeignOpaque("java", className, description);
  opaqueNodes.set(value, node);
  return value;
}

function isNode(value: FieldValue | undefined): value is JdkNode {
  return typeof value === "object";
}

function numberField(node: JdkObject, name = "value"): number | undefined {
  const value = fieldOf(node, name);
  return typeof value === "number" ? value : undefined;
}

function list(items: JdkNode[] | undefined, open: Open): ForeignValue[] | undefined {
  return items?.map((item) => view(item, open));
}

function entriesView(items: JdkNode[] | undefined, open: Open): ForeignValue | undefined {
  if (items === undefined) return undefined;
  const keys: ForeignValue[] = [];
  const values: ForeignValue[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    keys.push(view(items[i] as JdkNode, open));
    values.push(view(items[i + 1] as JdkNode, open));
  }
  if (keys.every((key) => typeof key === "string") && keepsKeyOrder(keys as string[])) {
    const object = emptyObject();
    keys.forEach((key, i) => {
      defineOwn(object, key as string, values[i]);
    });
    return object;
  }
  return new Map(keys.map((key, i) => [key, values[i] as ForeignValue]));
}

function set(items: JdkNode[] | undefined, open: Open): ForeignValue | undefined {
  const values = list(items, open);
  return values === undefined ? undefined : new ForeignSet(values);
}

/** A wrapper's view when the wrapped collection reads as the expected kind. */
function wrapped(
  node: JdkObject,
  field: string,
  open: Open,
  kind: "list" | "map" | "set",
): ForeignValue | undefined {
  const inner = fieldOf(node, field);
  if (!isNode(inner)) return undefined;
  const value = view(inner, open);
  const fits =
    kind === "list"
      ? Array.isArray(value)
      : kind === "set"
        ? value instanceof ForeignSet
        : value instanceof Map || isPlainObject(value);
  return fits ? value : undefined;
}

/** `size` then the elements: ArrayList, LinkedList, TreeMap (pairs: `size` × 2). */
function sized(node: JdkObject, owner: string, perEntry: number): JdkNode[] | undefined {
  const cursor = annotationOf(node, owner);
  const size = cursor?.int();
  if (cursor === undefined || size === undefined) return undefined;
  const items = cursor.objects(size * perEntry);
  return cursor.done() ? items : undefined;
}

function hashMapEntries(node: JdkObject): JdkNode[] | undefined {
  const cursor = annotationOf(node, "java.util.HashMap");
  if (cursor === undefined || cursor.int() === undefined) return undefined;
  const size = cursor.int();
  const items = size === undefined ? undefined : cursor.objects(size * 2);
  return cursor.done() ? items : undefined;
}

function hashSetItems(node: JdkObject): JdkNode[] | undefined {
  const cursor = annotationOf(node, "java.util.HashSet");
  if (cursor === undefined || cursor.int() === undefined || cursor.float() === undefined) return undefined;
  const size = cursor.int();
  const items = size === undefined ? undefined : cursor.objects(size);
  return cursor.done() ? items : undefined;
}

/** java.util.CollSer: what List.of, Set.of and Map.of write (its tag says which). */
function immutableCollection(node: JdkObject, open: Open): ForeignValue | undefined {
  const tag = numberField(node, "tag");
  const cursor = annotationOf(node, "java.util.CollSer");
  const length = cursor?.int();
  if (tag === undefined || cursor === undefined || length === undefined) return undefined;
  const items = cursor.objects(length);
  if (!cursor.done()) return undefined;
  switch (tag & 0xff) {
    case 1:
    case 4:
      return list(items, open);
    case 2:
      return set(items, open);
    case 3:
      return entriesView(items, open);
    default:
      return undefined;
  }
}

function bigIntegerOf(node: JdkNode): bigint | undefined {
  if (node.k !== "object") return undefined;
  const signum = numberField(node, "signum");
  const magnitude = fieldOf(node, "magnitude");
  if (signum === undefined || !isNode(magnitude) || magnitude.k !== "array") return undefined;
  const bytes = magnitude.elements;
  if (!(bytes instanceof Uint8Array)) return undefined;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  // BigInteger.readObject refuses a signum that disagrees with the magnitude.
  if (signum < -1 || signum > 1 || (signum === 0) !== (value === 0n)) return undefined;
  return signum < 0 ? -value : value;
}

function dateMillis(node: JdkObject): bigint | undefined {
  const cursor = annotationOf(node, "java.util.Date");
  const ms = cursor?.long();
  return cursor?.done() ? ms : undefined;
}

function boxed(node: JdkObject): ForeignValue | undefined {
  const value = fieldOf(node, "value");
  return typeof value === "number" ? value : undefined;
}

/** The classes sessionkit maps, by name. A layout other than the JDK's falls back to an opaque value. */
const VIEWS: Readonly<Record<string, View>> = {
  "java.lang.Integer": boxed,
  "java.lang.Short": boxed,
  "java.lang.Byte": boxed,
  "java.lang.Double": boxed,
  "java.lang.Float": boxed,
  "java.lang.Long": (node) => {
    const value = fieldOf(node, "value");
    return typeof value === "bigint" ? integerValue(value) : undefined;
  },
  "java.lang.Boolean": (node) => {
    const value = fieldOf(node, "value");
    return typeof value === "boolean" ? value : undefined;
  },
  "java.lang.Character": (node) => {
    const value = numberField(node);
    return value === undefined ? undefined : String.fromCharCode(value);
  },
  "java.math.BigInteger": (node) => bigIntegerOf(node),
  "java.math.BigDecimal": (node) => {
    const scale = numberField(node, "scale");
    const intVal = fieldOf(node, "intVal");
    const unscaled = isNode(intVal) ? bigIntegerOf(intVal) : undefined;
    return scale === undefined || unscaled === undefined
      ? undefined
      : new ForeignDecimal(bigDecimalText(unscaled, scale));
  },
  "java.util.Date": (node) => {
    const ms = dateMillis(node);
    return ms === undefined ? undefined : new ForeignTime(ms * 1_000_000n);
  },
  "java.sql.Timestamp": (node) => {
    const ms = dateMillis(node);
    const nanos = numberField(node, "nanos");
    if (ms === undefined || nanos === undefined || nanos < 0 || nanos >= 1e9) return undefined;
    // The Date part holds whole seconds; the nanoseconds are the Timestamp's own field.
    return new ForeignTime(ms * 1_000_000n + BigInt(nanos));
  },
  "java.util.ArrayList": (node, open) => list(sized(node, "java.util.ArrayList", 1), open),
  "java.util.LinkedList": (node, open) => list(sized(node, "java.util.LinkedList", 1), open),
  "java.util.Arrays$ArrayList": (node, open) => wrapped(node, "a", open, "list"),
  "java.util.Collections$UnmodifiableList": (node, open) => wrapped(node, "list", open, "list"),
  "java.util.Collections$UnmodifiableRandomAccessList": (node, open) => wrapped(node, "list", open, "list"),
  "java.util.Collections$UnmodifiableCollection": (node, open) => wrapped(node, "c", open, "list"),
  "java.util.Collections$SingletonList": (node, open) => {
    const element = fieldOf(node, "element");
    return isNode(element) ? [view(element, open)] : undefined;
  },
  "java.util.Collections$EmptyList": () => [],
  "java.util.CollSer": immutableCollection,
  "java.util.HashMap": (node, open) => entriesView(hashMapEntries(node), open),
  "java.util.LinkedHashMap": (node, open) => entriesView(hashMapEntries(node), open),
  "java.util.TreeMap": (node, open) => entriesView(sized(node, "java.util.TreeMap", 2), open),
  "java.util.Hashtable": (node, open) => {
    const cursor = annotationOf(node, "java.util.Hashtable");
    if (cursor === undefined || cursor.int() === undefined) return undefined;
    const count = cursor.int();
    const items = count === undefined ? undefined : cursor.objects(count * 2);
    return cursor.done() ? entriesView(items, open) : undefined;
  },
  "java.util.Collections$UnmodifiableMap": (node, open) => wrapped(node, "m", open, "map"),
  "java.util.Collections$EmptyMap": () => emptyObject(),
  "java.util.HashSet": (node, open) => set(hashSetItems(node), open),
  "java.util.LinkedHashSet": (node, open) => set(hashSetItems(node), open),
  "java.util.TreeSet": (node, open) => {
    const cursor = annotationOf(node, "java.util.TreeSet");
    // Its comparator first (null: natural order), then the size and the elements.
    if (cursor === undefined || cursor.object() === undefined) return undefined;
    const size = cursor.int();
    const items = size === undefined ? undefined : cursor.objects(size);
    return cursor.done() ? set(items, open) : undefined;
  },
  "java.util.Collections$UnmodifiableSet": (node, open) => wrapped(node, "c", open, "set"),
  "java.util.Collections$SingletonSet": (node, open) => {
    const element = fieldOf(node, "element");
    return isNode(element) ? new ForeignSet([view(element, open)]) : undefined;
  },
  "java.util.Collections$EmptySet": () => new ForeignSet([]),
};

/** Element views of a primitive array, by its type code. */
function primitiveItems(code: string, bytes: Uint8Array): ForeignValue[] | undefined {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: ((at: number) => ForeignValue) | undefined = {
    Z: (at: number) => data.getUint8(at) !== 0,
    C: (at: number) => String.fromCharCode(data.getUint16(at * 2)),
    S: (at: number) => data.getInt16(at * 2),
    I: (at: number) => data.getInt32(at * 4),
    J: (at: number) => integerValue(data.getBigInt64(at * 8)),
    F: (at: number) => data.getFloat32(at * 4),
    D: (at: number) => data.getFloat64(at * 8),
  }[code];
  if (read === undefined) return undefined;
  const size = { Z: 1, C: 2, S: 2, I: 4, J: 8, F: 4, D: 8 }[code] as number;
  return Array.from({ length: bytes.length / size }, (_, i) => read(i));
}

function view(node: JdkNode, open: Open): ForeignValue {
  open.count();
  switch (node.k) {
    case "null":
      return null;
    case "string":
      return node.text;
    case "enum": {
      const className = descName(node.desc);
      return opaque(node, className, `the Java enum constant ${className}.${node.constant.text}`);
    }
    case "class":
      return opaque(node, "java.lang.Class", `the Java class ${descName(node.desc)}`);
    case "desc":
    case "proxy":
      return opaque(node, "java.io.ObjectStreamClass", `the Java class descriptor of ${descName(node)}`);
    default:
      break;
  }
  const className = descName(node.desc);
  // A container seen again while its own view is being made: no finite view.
  if (open.has(node)) return opaque(node, className, `a Java ${className} that contains itself`);
  open.add(node);
  try {
    let value: ForeignValue | undefined;
    if (node.k === "array") {
      const elements = node.elements;
      if (!(elements instanceof Uint8Array)) value = list(elements, open);
      else if (className === "[B") value = new ForeignBytes(new Uint8Array(elements));
      else value = primitiveItems(className.slice(1), elements);
    } else value = VIEWS[className]?.(node, open);
    if (value === undefined) return opaque(node, className, `a Java ${className}, kept as read`);
    if (typeof value === "object" && value !== null) viewSources.set(value, node);
    return value;
  } finally {
    open.delete(node);
  }
}

/**
 * Node's view of a Java value (see foreign-value.ts): String as a string, boxed numbers as numbers
 * (Long past 2^53 as BigInt), BigInteger as BigInt, BigDecimal as ForeignDecimal, Date and Timestamp as
 * ForeignTime, byte[] as ForeignBytes, lists and arrays as arrays, maps as null-prototype objects (string
 * keys that keep their order) or Maps, sets as ForeignSet. Anything else, enums included, is a
 * ForeignOpaque that writes back as read.
 */
export function jdkToValue(node: JdkNode, limits: SpringLimits = DEFAULT_SPRING_LIMITS): ForeignValue {
  return view(node, new Open(limits.maxNodes));
}

/** The node a view was read from, while it is that view (see viewSources). */
export function viewSourceOf(value: object): JdkNode | undefined {
  return viewSources.get(value);
}

/** The node an opaque value was read from (never one made from data). */
export function opaqueSourceOf(value: ForeignOpaque): JdkNode | undefined {
  return opaqueNodes.get(value);
}
