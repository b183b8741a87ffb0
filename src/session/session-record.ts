import { crc32 } from "node:zlib";
import type { StoredFields, StoredRecord } from "../store/session-store.js";

/**
 * How a session is laid out in its record (the fields of one packed Redis string, store/packed-record.ts):
 * one field per top-level attribute, holding that attribute's encoded value, beside a few metadata
 * fields. Metadata fields start with "$"; an attribute whose name starts with "$" is stored with one
 * more "$", so the two can never collide.
 */
export const MetaField = {
  createdAt: "$c",
  lastAccessAt: "$a",
  absoluteDeadline: "$x",
  principal: "$p",
  userAgent: "$ua",
  ip: "$ip",
} as const;

export interface SessionTimes {
  /** Epoch ms when the session was created (regenerate keeps it: the absolute deadline does not move). */
  createdAt: number;
  /** Epoch ms of the last recorded activity; only moves once per `touchAfter`. */
  lastAccessAt: number;
  /** Epoch ms after which the session is over, however active it is. */
  absoluteDeadline: number;
}

export function fieldForAttribute(attribute: string): string {
  return attribute.startsWith("$") ? `$${attribute}` : attribute;
}

function attributeForField(field: string): string | null {
  if (!field.startsWith("$")) return field;
  return field.startsWith("$$") ? field.slice(1) : null;
}

export function timesToFields(times: SessionTimes): [string, string][] {
  return [
    [MetaField.createdAt, String(times.createdAt)],
    [MetaField.lastAccessAt, String(times.lastAccessAt)],
    [MetaField.absoluteDeadline, String(times.absoluteDeadline)],
  ];
}

/**
 * A long attribute value is stored sealed: 8 hex digits of a CRC-32 of the encoded value (seeded with
 * the codec's name), then the value. Checking the seal is ~10x cheaper than decoding (0.3 vs 2.8 us for
 * a 1 KB cart), so a load checks the seals and decodes a long attribute only when the request reads it,
 * and a record that would not decode is still found at load and treated as no session (rule 8): a value
 * edited by hand, truncated, written by another app or by another codec fails its seal. A short value
 * is cheaper to decode than to check, so it is stored as it is and decoded at load. Which is which
 * follows from the stored length alone (short: up to 64 characters; sealed: more than 8 + 64).
 * The CRC is not a MAC: whoever can write Redis can forge it, but can then write any session anyway.
 */
const SEAL_LENGTH = 8;
/** Encoded values longer than this are sealed and decoded on first use. */
export const LAZY_VALUE_LENGTH = 64;

export class ValueSeal {
  readonly #seed: number;

  constructor(codecName: string) {
    this.#seed = crc32(codecName);
  }

  seal(encoded: string): string {
    if (encoded.length <= LAZY_VALUE_LENGTH) return encoded;
    return `${this.#checksum(encoded).toString(16).padStart(SEAL_LENGTH, "0")}${encoded}`;
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
    return sealed === this.#checksum(encoded) ? encoded : null;
  }

  #checksum(encoded: string): number {
    return crc32(encoded, this.#seed) >>> 0;
  }
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
  const encodedAttributes = new Map<string, string>();
  for (const [field, value] of fields) {
    const attribute = attributeForField(field);
    if (attribute === null) continue;
    const encoded = seal.open(value);
    if (encoded === null) return null;
    encodedAttributes.set(attribute, encoded);
  }
  return {
    times: { createdAt, lastAccessAt, absoluteDeadline },
    principal: fields.get(MetaField.principal),
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
