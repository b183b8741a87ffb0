import type { ForeignValue } from "../foreign-value.js";

/**
 * Spring Session keeps one Redis hash per session and runs every hash value (metadata and attributes
 * alike) through one "default serializer": Java serialization (JdkSerializationRedisSerializer, the
 * default) or Jackson JSON with type hints (GenericJackson2JsonRedisSerializer). The same serializer also
 * writes the members of the principal index and expiration sets, and the body of the "created" message.
 * A codec is one of those serializers, over its own node type `N` so that a value Node did not change is
 * written back exactly as read.
 */
export interface SpringAttributeCodec<N = unknown> {
  readonly name: "jdk" | "json";
  /** Reads one serialized value. Throws a SessionError when it is malformed or over the limits. */
  decode(bytes: Uint8Array): N;
  /** The bytes of a node; a node as decode() returned it gives back the bytes it was read from. */
  encode(node: N): Uint8Array;
  /** Node's view of a value (see foreign-value.ts); a type it does not map is a ForeignOpaque. */
  toValue(node: N): ForeignValue;
  /**
   * The node of a value Node writes. Refuses (SessionError) what the Spring app could not load, and
   * never makes an opaque value or a class name out of data (Java deserialization and Jackson default
   * typing instantiate the class a value names).
   */
  fromValue(value: unknown): N;
  /** A java.lang.Long (creationTime, lastAccessedTime: epoch ms). */
  long(value: number): N;
  /** A java.lang.Integer (maxInactiveInterval: seconds). */
  int(value: number): N;
  /** The number a Long or Integer node (also a JSON number) holds, else undefined. */
  numberOf(node: N): number | undefined;
  /** The string a java.lang.String node holds, else undefined. */
  stringOf(node: N): string | undefined;
  /**
   * What Spring's PrincipalNameIndexResolver reads from the SPRING_SECURITY_CONTEXT attribute:
   * `context.getAuthentication().getName()`, for the shapes Spring Security writes (a
   * SecurityContextImpl holding an Authentication whose principal is a UserDetails, a Principal or a
   * String); undefined when the node is not one of them or holds no authentication.
   */
  securityContextPrincipal(node: N): string | undefined;
  /**
   * The bytes of a java.util.HashMap<String, Object> of these nodes: the body of the
   * `<ns>:event:<db>:created:<id>` message Spring's indexed repository publishes for a new session
   * (its metadata: Long and Integer nodes made by long() and int()).
   */
  map(entries: ReadonlyArray<readonly [string, N]>): Uint8Array;
}

/** Bounds on one serialized value, so a hostile or runaway record cannot exhaust memory or the stack. */
export interface SpringLimits {
  /** Largest serialized value, in bytes. Default 4 MiB. */
  maxBytes: number;
  /** Deepest nesting of objects, arrays and collections. Default 128. */
  maxDepth: number;
  /** Most values (objects, array items, collection entries) in one serialized value. Default 200,000. */
  maxNodes: number;
}

export const DEFAULT_SPRING_LIMITS: SpringLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 128,
  maxNodes: 200_000,
};
