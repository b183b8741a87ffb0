import { crc32 } from "node:zlib";
import { MetaField, type SessionTimes } from "../store/record-meta.js";
import type { StoredFields, StoredRecord } from "../store/session-store.js";

/**
 * How a session is laid out in its record (the fields of one packed Redis string, redis/packed-record.ts):
 * one field per top-level attribute, holding that attribute's encoded value, beside the metadata fields
 * of store/record-meta.ts. Metadata fields start with "$"; an attribute whose name starts with "$" is
 * stored with one more "$", so the two can never collide.
 */
export function fieldForAttribute(attribute: string): string {
  return attribute.startsWith("$") ? `$${attribute}` : attribute;
}

function attributeForField(field: string): string | null {
  if (!field.startsWith("$")) return field;
  return field.startsWith("$$") ? field.slice(1) : null;
}

export function timesToFields(times: SessionTimes): [string, string][] {
  const fields: [string, string][] = [
    [MetaField.createdAt, String(times.createdAt)],
    [MetaField.lastAccessAt, String(times.lastAccessAt)],
    [MetaField.absoluteDeadline, String(times.absoluteDeadline)],
  ];
  if (times.idleTimeoutMs !== undefined) fields.push([MetaField.idleTimeout, String(times.idleTimeoutMs)]);
  return fields;
}

/** How a session's cookie is sent when the session chose (cookie.maxAge): persistent or browser-session. */
export type CookieKind = "persistent" | "browser-session";

export function cookieKindField(kind: CookieKind): [string, string] {
  return [MetaField.cookieKind, kind === "persistent" ? "p" : "b"];
}

/**
 * A long attribute value is stored sealed: 8 hex digits of a seeded CRC-32 of the encoded value, then the
 * value. Checking the seal costs a fraction of decoding (bench/micro.ts), so a load checks the seals and decodes a long
 * attribute only when the request reads it, and a record that would not decode is still found at load and
 * treated as no session (rule 8): a value edited by hand, truncated or written by another app fails its
 * seal. A short value is cheaper to decode than to check, so it is stored as it is and decoded at load.
 * Which is which follows from the stored length alone (short: up to 64 characters; sealed: more than
 * 8 + 64). The CRC is not a MAC: whoever can write Redis can forge it, but can then write any session.
 *
 * The seed is fixed, not taken from the codec: the first release seeded it with the codec's name, so
 * renaming a codec would have failed every stored long value's seal and logged everyone out. The
 * default codec's name is the fixed seed (its records are unchanged); a seal under another codec's name,
 * as the first release wrote for custom codecs, still opens (checked only after the fixed seed failed).
 */
const SEAL_LENGTH = 8;
/** Encoded values longer than this are sealed and decoded on first use. */
export const LAZY_VALUE_LENGTH = 64;
const SEAL_SEED = crc32("typed-json");

export class ValueSeal {
  readonly #legacySeed: number | undefined;

  /** `codecName`: the name the first release seeded this codec's seals with. */
  constructor(codecName?: string) {
    const legacy = codecName === undefined ? SEAL_SEED : crc32(codecName);
    this.#legacySeed = legacy === SEAL_SEED ? undefined : legacy;
  }

  seal(encoded: string): string {
    if (encoded.length <= LAZY_VALUE_LENGTH) return encoded;
    return `${checksum(encoded, SEAL_SEED).toString(16).padStart(SEAL_LENGTH, "0")}${encoded}`;
  }

  /** The encoded value, or null when a long value's seal does not match. */
  open(stored: string): string | null {
    if (stored.length <= LAZY_VALUE_LENGTH) return stored;
    if (stored.length <= SEAL_LENGTH + LAZY_VALUE_LENGTH) return null;
    // Read the 8 hex digits in place: this runs for every attribute of every loaded session.
    let sealed = 0;
    for (let i = 0; i < SEAL_LENGTH; i++) {
      const digit = hexDigit(stored.charCodeAt(i));
      if (digit === -1) return null;
      sealed = sealed * 16 + digit;
    }
    const encoded = stored.slice(SEAL_LENGTH);
    if (sealed === checksum(encoded, SEAL_SEED)) return encoded;
    return this.#legacySeed !== undefined && sealed === checksum(encoded, this.#legacySeed) ? encoded : null;
  }
}

function checksum(encoded: string, seed: number): number {
  return crc32(encoded, seed) >>> 0;
}

/** A stored value without its seal, unchecked (for event data and tools, never for loading a session). */
export function unsealed(stored: string): string {
  return stored.length > LAZY_VALUE_LENGTH ? stored.slice(SEAL_LENGTH) : stored;
}

/** 0-15 for a lowercase hex digit, else -1 (also for NaN past the end of the string). */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

export interface ParsedRecord {
  times: SessionTimes;
  principal: string | undefined;
  /** Set when the session chose its cookie's kind; otherwise the cookie option decides. */
  cookieKind: CookieKind | undefined;
  /** Attribute name -> encoded value (its seal checked and removed). */
  encodedAttributes: Map<string, string>;
}

/**
 * Returns null when the metadata is missing or malformed or a value's seal does not match: such a record
 * is corrupt (rule 8).
 */
export function parseRecord(fields: StoredRecord, seal: ValueSeal): ParsedRecord | null {
  const createdAt = parseTime(fields.get(MetaField.createdAt));
  const lastAccessAt = parseTime(fields.get(MetaField.lastAccessAt));
  const absoluteDeadline = parseTime(fields.get(MetaField.absoluteDeadline));
  if (createdAt === null || lastAccessAt === null || absoluteDeadline === null) return null;
  const times: SessionTimes = { createdAt, lastAccessAt, absoluteDeadline };
  const ownIdle = fields.get(MetaField.idleTimeout);
  if (ownIdle !== undefined) {
    const idleTimeoutMs = parseTime(ownIdle);
    if (idleTimeoutMs === null || idleTimeoutMs === 0) return null;
    times.idleTimeoutMs = idleTimeoutMs;
  }
  const kind = fields.get(MetaField.cookieKind);
  const encodedAttributes = new Map<string, string>();
  for (const [field, value] of fields) {
    const attribute = attributeForField(field);
    if (attribute === null) continue;
    const encoded = seal.open(value);
    if (encoded === null) return null;
    encodedAttributes.set(attribute, encoded);
  }
  return {
    times,
    principal: fields.get(MetaField.principal),
    cookieKind: kind === "p" ? "persistent" : kind === "b" ? "browser-session" : undefined,
    encodedAttributes,
  };
}

/** 1-16 decimal digits (epoch ms), read in place: three per loaded session. */
function parseTime(value: string | undefined): number | null {
  if (value === undefined || value.length === 0 || value.length > 16) return null;
  let time = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return null;
    time = time * 10 + digit;
  }
  return time;
}

/**
 * The attribute fields of a stored record with their encoded values (seals removed, unchecked: for
 * event data, not for loading a session), metadata left out.
 */
export function encodedAttributesOf(fields: StoredFields): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [field, value] of Object.entries(fields)) {
    const attribute = attributeForField(field);
    if (attribute === null) continue;
    // defineProperty: an attribute may be called "__proto__".
    Object.defineProperty(attributes, attribute, {
      value: unsealed(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return attributes;
}
