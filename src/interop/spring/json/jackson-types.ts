import { CLASS_PROPERTY, type JacksonEntry, type JacksonNode } from "./jackson-node.js";

/**
 * The shapes default typing gives a value, told apart without instantiating anything:
 * - bare: null, booleans, strings, numbers (Jackson writes String, Integer, Double, Boolean, and a Long
 *   or other final java.lang type at the top, without a type id);
 * - object: `{"@class":"<class>",...fields}` (maps and POJOs);
 * - wrapper: `["<class>",<payload>]` (collections, and scalars of a type that needs an id:
 *   `["java.util.Date",ms]`, `["java.lang.Long",5]` inside a map, `["[B","<base64>"]`);
 * - untyped: an object without "@class" or any other array (a JsonNode attribute, an int[]): Jackson
 *   writes those but cannot read them back as Object.
 */
export type JacksonShape =
  | { readonly kind: "bare" }
  | { readonly kind: "object"; readonly className: string; readonly fields: readonly JacksonEntry[] }
  | { readonly kind: "wrapper"; readonly className: string; readonly payload: JacksonNode }
  | { readonly kind: "untyped" };

const BARE: JacksonShape = { kind: "bare" };
const UNTYPED: JacksonShape = { kind: "untyped" };

export function shapeOf(node: JacksonNode): JacksonShape {
  if (node.k === "object") {
    // Jackson writes the id first, and reads it wherever it is: so do we.
    const id = node.entries.find(([key]) => key.value === CLASS_PROPERTY);
    if (id === undefined || id[1].k !== "string") return UNTYPED;
    return { kind: "object", className: id[1].value, fields: node.entries.filter((entry) => entry !== id) };
  }
  if (node.k === "array") {
    const [id, payload] = node.items;
    if (node.items.length !== 2 || id?.k !== "string" || payload === undefined) return UNTYPED;
    return { kind: "wrapper", className: id.value, payload };
  }
  return BARE;
}

/**
 * java.util Lists Jackson reads back (JavaUtilCollectionsDeserializers for the Collections and Arrays
 * ones). Those in MUTABLE_LISTS keep their class when Node changes their items; the others (empty,
 * singleton, unmodifiable views) become an ArrayList then.
 */
const MUTABLE_LISTS = new Set([
  "java.util.ArrayList",
  "java.util.LinkedList",
  "java.util.Vector",
  "java.util.Stack",
  "java.util.concurrent.CopyOnWriteArrayList",
]);
const LISTS = new Set([
  ...MUTABLE_LISTS,
  "java.util.Arrays$ArrayList",
  "java.util.Collections$EmptyList",
  "java.util.Collections$SingletonList",
  "java.util.Collections$UnmodifiableList",
  "java.util.Collections$UnmodifiableRandomAccessList",
  "java.util.Collections$SynchronizedList",
  "java.util.Collections$SynchronizedRandomAccessList",
]);

const MUTABLE_SETS = new Set([
  "java.util.HashSet",
  "java.util.LinkedHashSet",
  "java.util.TreeSet",
  "java.util.concurrent.ConcurrentSkipListSet",
  "java.util.concurrent.CopyOnWriteArraySet",
]);
/** Read-only sets: viewed as a frozen ForeignSet (and a frozen set is written as an unmodifiable one). */
const FROZEN_SETS = new Set([
  "java.util.Collections$UnmodifiableSet",
  "java.util.Collections$UnmodifiableSortedSet",
  "java.util.Collections$UnmodifiableNavigableSet",
  "java.util.Collections$EmptySet",
  "java.util.Collections$SingletonSet",
]);

const MUTABLE_MAPS = new Set([
  "java.util.HashMap",
  "java.util.LinkedHashMap",
  "java.util.TreeMap",
  "java.util.Hashtable",
  "java.util.concurrent.ConcurrentHashMap",
  "java.util.concurrent.ConcurrentSkipListMap",
]);
const MAPS = new Set([
  ...MUTABLE_MAPS,
  "java.util.Collections$EmptyMap",
  "java.util.Collections$SingletonMap",
  "java.util.Collections$UnmodifiableMap",
  "java.util.Collections$SynchronizedMap",
]);

export type CollectionKind = "list" | "set" | "frozen-set" | "map";

export function collectionKind(className: string): CollectionKind | undefined {
  if (LISTS.has(className)) return "list";
  if (MUTABLE_SETS.has(className)) return "set";
  if (FROZEN_SETS.has(className)) return "frozen-set";
  if (MAPS.has(className)) return "map";
  return undefined;
}

/** Whether a collection read as this class may be written as it again with other contents. */
export function keepsClassWhenChanged(className: string): boolean {
  return MUTABLE_LISTS.has(className) || MUTABLE_SETS.has(className) || MUTABLE_MAPS.has(className);
}

/** The classes Node writes for new values: a fixed list (Jackson instantiates the class an id names). */
export const WRITTEN_CLASSES = {
  list: "java.util.ArrayList",
  map: "java.util.LinkedHashMap",
  set: "java.util.LinkedHashSet",
  frozenSet: "java.util.Collections$UnmodifiableSet",
  date: "java.util.Date",
  decimal: "java.math.BigDecimal",
  bytes: "[B",
} as const;

/** Scalar types Jackson writes with an id where the declared type is Object (inside maps and lists). */
export const INTEGER_WRAPPERS = new Set([
  "java.lang.Long",
  "java.lang.Integer",
  "java.lang.Short",
  "java.lang.Byte",
  "java.math.BigInteger",
  "java.util.concurrent.atomic.AtomicInteger",
  "java.util.concurrent.atomic.AtomicLong",
]);
export const FLOAT_WRAPPERS = new Set(["java.lang.Float", "java.lang.Double"]);
export const TEXT_WRAPPERS = new Set(["java.lang.String", "java.lang.Character"]);

export function isIntegerText(text: string): boolean {
  return /^-?[0-9]+$/.test(text);
}
