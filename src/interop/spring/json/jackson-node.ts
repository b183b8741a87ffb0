import type { SpringLimits } from "../spring-codec.js";

/**
 * One JSON document as GenericJackson2JsonRedisSerializer (Jackson with default typing, type ids in an
 * "@class" property) writes it, as a tree that keeps what byte-exact writes need: object keys in order,
 * numbers as their exact text ("1.0" stays a double, 2^63 stays exact), and a string's escapes when they
 * differ from the ones Jackson writes. Java types live in the tree as Jackson puts them: `{"@class":
 * "java.util.LinkedHashMap",...}`, `["java.util.ArrayList",[...]]`, `["java.lang.Long",5]`. Nothing is
 * instantiated: jackson-types.ts tells those shapes apart, jackson-view.ts maps them to Node values.
 */
export type JacksonNode =
  /** `empty`: the zero-length value Spring writes for a null (serialize(null) is an empty byte array). */
  | { readonly k: "null"; readonly empty?: true }
  | { readonly k: "bool"; readonly value: boolean }
  /**
   * A JSON number, its text exactly as read or written. `javaLong`: a java.lang.Long made by the codec's
   * long(): bare at the top (as Jackson writes a Long value), `["java.lang.Long",n]` inside a map.
   */
  | { readonly k: "number"; readonly text: string; readonly javaLong?: true }
  | JacksonString
  | { readonly k: "array"; readonly items: readonly JacksonNode[] }
  | { readonly k: "object"; readonly entries: readonly JacksonEntry[] };

/** `raw`: the text between the quotes as read, kept only when Jackson would escape the value otherwise. */
export type JacksonString = { readonly k: "string"; readonly value: string; readonly raw?: string };

export type JacksonEntry = readonly [JacksonString, JacksonNode];

/** The type-id property: GenericJackson2JsonRedisSerializer's default, and Spring Security's mixins'. */
export const CLASS_PROPERTY = "@class";

/**
 * The deepest nesting the codec accepts whatever the limits say: the reader, the view and the writer
 * recurse (one frame per level), and this keeps them far from the stack's end.
 */
export const MAX_SUPPORTED_DEPTH = 1000;

export const NULL_NODE: JacksonNode = { k: "null" };

export function stringNode(value: string): JacksonString {
  return { k: "string", value };
}

export function effectiveLimits(limits: SpringLimits): SpringLimits {
  return { ...limits, maxDepth: Math.min(limits.maxDepth, MAX_SUPPORTED_DEPTH) };
}
