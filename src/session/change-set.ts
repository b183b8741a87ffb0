import type { ValueCodec } from "../codecs/value-codec.js";
import { sessionTooLarge } from "../common/errors.js";
import {
  isUntouchedAttribute,
  RESERVED_ATTRIBUTES,
  reservedAttributeError,
  type Session,
} from "./session.js";
import { fieldForAttribute, type ValueSeal } from "./session-record.js";

/** What a commit must write for a session's attributes. */
export interface ChangeSet {
  /** Field -> stored (sealed) value, for the store. */
  set: [string, string][];
  /** Fields to delete. */
  remove: string[];
  /** Attribute -> encoding as the store holds it once written. */
  encoded: Map<string, string>;
}

/** Nothing to write (shared: its encodings are never used, the session's own stay). */
export const NO_CHANGES: ChangeSet = Object.freeze({
  set: Object.freeze([]) as unknown as [string, string][],
  remove: Object.freeze([]) as unknown as string[],
  encoded: new Map<string, string>(),
});

/** How large a session may grow (rule 17): one client must not make every request of others slow. */
export interface SessionLimits {
  /** Names and encoded values together, in UTF-8 bytes. */
  maxSessionBytes: number;
  maxAttributes: number;
}

/**
 * The attributes whose encoding differs from the stored one (sealed for the store), removals, and the
 * encodings the store holds afterwards. An attribute still untouched is neither decoded nor encoded, so
 * nested mutations are caught by encoding only what the request touched. Answers the shared NO_CHANGES
 * when nothing changed; throws for a value the codec refuses, an attribute named after a method, or a
 * change that would take the session past its limits (nothing is written then).
 */
export function changeSetOf(
  session: Session,
  storedEncoded: ReadonlyMap<string, string>,
  codec: ValueCodec,
  seal: ValueSeal,
  limits: SessionLimits,
): ChangeSet {
  const attributes = session as unknown as Record<string, unknown>;
  const set: [string, string][] = [];
  const changed: [string, string][] = [];
  let kept = 0;
  const names = Object.keys(session);
  for (const name of names) {
    const stored = storedEncoded.get(name);
    if (stored !== undefined && isUntouchedAttribute(session, name)) {
      kept++;
      continue;
    }
    const value = attributes[name];
    if (value === undefined) continue;
    if (RESERVED_ATTRIBUTES.has(name)) throw reservedAttributeError(name);
    const encodedValue = codec.encode(value);
    if (stored !== undefined) kept++;
    if (encodedValue === stored) continue;
    set.push([fieldForAttribute(name), seal.seal(encodedValue)]);
    changed.push([name, encodedValue]);
  }
  const removed = kept < storedEncoded.size ? removedAttributes(session, names, storedEncoded) : [];
  if (set.length === 0 && removed.length === 0) return NO_CHANGES;
  const encoded = new Map(storedEncoded);
  for (const name of removed) encoded.delete(name);
  for (const [name, value] of changed) encoded.set(name, value);
  if (set.length > 0) checkLimits(encoded, limits);
  return { set, remove: removed.map(fieldForAttribute), encoded };
}

function checkLimits(encoded: ReadonlyMap<string, string>, limits: SessionLimits): void {
  if (encoded.size > limits.maxAttributes) {
    throw sessionTooLarge(
      `the session would have ${encoded.size} attributes (maxAttributes: ${limits.maxAttributes})`,
    );
  }
  let bytes = 0;
  for (const [name, value] of encoded) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  if (bytes > limits.maxSessionBytes) {
    throw sessionTooLarge(
      `the session would take ${bytes} bytes (maxSessionBytes: ${limits.maxSessionBytes})`,
    );
  }
}

/** Stored attributes the session no longer has (deleted, or set to undefined). */
function removedAttributes(
  session: Session,
  names: string[],
  storedEncoded: ReadonlyMap<string, string>,
): string[] {
  const attributes = session as unknown as Record<string, unknown>;
  const present = new Set<string>();
  for (const name of names) {
    if (isUntouchedAttribute(session, name) || attributes[name] !== undefined) present.add(name);
  }
  return [...storedEncoded.keys()].filter((name) => !present.has(name));
}
