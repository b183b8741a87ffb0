import { SessionCodecError } from "../../common/errors.js";
import type { SpringAttributeCodec } from "./spring-codec.js";

/** Spring's RedisSessionMapper field names; every attribute is `sessionAttr:<name>`. */
export const CREATION_TIME = "creationTime";
export const LAST_ACCESSED_TIME = "lastAccessedTime";
export const MAX_INACTIVE_INTERVAL = "maxInactiveInterval";
export const ATTRIBUTE_PREFIX = "sessionAttr:";

/** A Spring session hash as read. */
export interface SpringRecord<N> {
  /** epoch ms */
  readonly creationTime: number;
  /** epoch ms */
  readonly lastAccessedTime: number;
  /** seconds; negative means "never expires" to Spring */
  readonly maxInactiveSeconds: number;
  /** The stored bytes of creationTime and maxInactiveInterval: a write checks the session is still this one. */
  readonly creationTimeBytes: Uint8Array;
  readonly maxInactiveBytes: Uint8Array;
  /** Attributes by name, in the hash's order. */
  readonly attributes: Map<string, N>;
}

/**
 * Reads a session hash (field name, value, ...) as Spring's RedisSessionMapper does: the three metadata
 * fields must be there (a hash without them is what a write racing the key's expiry leaves behind, and
 * Spring refuses it too), and an attribute whose value is empty was removed (Spring writes removals as an
 * empty value rather than deleting the field).
 */
export function decodeSpringHash<N>(
  fields: ReadonlyArray<readonly [string, Uint8Array]>,
  codec: SpringAttributeCodec<N>,
): SpringRecord<N> {
  let creationTimeBytes: Uint8Array | undefined;
  let lastAccessedBytes: Uint8Array | undefined;
  let maxInactiveBytes: Uint8Array | undefined;
  const attributes = new Map<string, N>();
  for (const [name, bytes] of fields) {
    if (name === CREATION_TIME) creationTimeBytes = bytes;
    else if (name === LAST_ACCESSED_TIME) lastAccessedBytes = bytes;
    else if (name === MAX_INACTIVE_INTERVAL) maxInactiveBytes = bytes;
    else if (name.startsWith(ATTRIBUTE_PREFIX) && bytes.length > 0)
      attributes.set(name.slice(ATTRIBUTE_PREFIX.length), codec.decode(bytes));
  }
  const number = (what: string, bytes: Uint8Array | undefined): number => {
    if (bytes === undefined || bytes.length === 0)
      throw new SessionCodecError(`a Spring session without ${what} (a half-written hash)`);
    const value = codec.numberOf(codec.decode(bytes));
    if (value === undefined || !Number.isSafeInteger(value))
      throw new SessionCodecError(`a Spring session whose ${what} is not a number`);
    return value;
  };
  return {
    creationTime: number(CREATION_TIME, creationTimeBytes),
    lastAccessedTime: number(LAST_ACCESSED_TIME, lastAccessedBytes),
    maxInactiveSeconds: number(MAX_INACTIVE_INTERVAL, maxInactiveBytes),
    // Checked above: both are present.
    creationTimeBytes: creationTimeBytes as Uint8Array,
    maxInactiveBytes: maxInactiveBytes as Uint8Array,
    attributes,
  };
}

/** Spring's MapSession.isExpired: a negative interval never expires. */
export function isExpired(record: SpringRecord<unknown>, nowMs: number): boolean {
  return (
    record.maxInactiveSeconds >= 0 && record.lastAccessedTime + record.maxInactiveSeconds * 1000 <= nowMs
  );
}

/** The minute an expiry is filed under in the indexed repository's expirations sets (rounded up). */
export function expirationMinute(expiresAtMs: number): number {
  return Math.floor(expiresAtMs / 60_000) * 60_000 + 60_000;
}
