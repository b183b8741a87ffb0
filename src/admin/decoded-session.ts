import type { ValueCodec } from "../codecs/value-codec.js";
import { encodedAttributesOf } from "../session/session-record.js";
import { handleOf } from "../store/key-id.js";
import { MetaField } from "../store/record-meta.js";
import type { InspectedSession } from "../store/session-store.js";

/** A stored session as an operator reads it: never its ID, only the handle (a hash, useless as a cookie). */
export interface DecodedSession {
  /** Where it lives (the Redis key). */
  key: string;
  handle: string;
  /** Remaining time to live in ms (the backstop; the deadlines in meta decide). */
  ttlMs: number;
  meta: {
    createdAt: string | null;
    lastAccessAt: string | null;
    absoluteDeadline: string | null;
    principal?: string;
    userAgent?: string;
    ip?: string;
  };
  /** Attributes decoded with the app's codec; with `redact`, each value's type and encoded size instead. */
  data: Record<string, unknown>;
  /** The key holds something that is not a session record (requests treat it as no session). */
  corrupt?: true;
}

export interface RedactedValue {
  type: string;
  /** Bytes of the encoded value. */
  bytes: number;
}

export function decodeSession(
  inspected: InspectedSession & { fields: NonNullable<InspectedSession["fields"]> },
  codec: ValueCodec,
  redact: boolean,
): DecodedSession {
  const { fields } = inspected;
  const meta: DecodedSession["meta"] = {
    createdAt: isoOf(fields[MetaField.createdAt]),
    lastAccessAt: isoOf(fields[MetaField.lastAccessAt]),
    absoluteDeadline: isoOf(fields[MetaField.absoluteDeadline]),
  };
  if (fields[MetaField.principal]) meta.principal = fields[MetaField.principal];
  if (fields[MetaField.userAgent]) meta.userAgent = fields[MetaField.userAgent];
  if (fields[MetaField.ip]) meta.ip = fields[MetaField.ip];
  const data: Record<string, unknown> = {};
  for (const [name, encoded] of Object.entries(encodedAttributesOf(fields))) {
    // defineProperty: an attribute may be called "__proto__".
    Object.defineProperty(data, name, {
      value: decodeValue(encoded, codec, redact),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { key: inspected.location, handle: handleOf(inspected.keyId), ttlMs: inspected.ttlMs, meta, data };
}

function decodeValue(encoded: string, codec: ValueCodec, redact: boolean): unknown {
  const bytes = Buffer.byteLength(encoded);
  let value: unknown;
  try {
    value = codec.decode(encoded);
  } catch {
    return { type: "undecodable", bytes } satisfies RedactedValue;
  }
  if (!redact) return value;
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  return { type, bytes } satisfies RedactedValue;
}

function isoOf(epochMs: string | undefined): string | null {
  const ms = Number(epochMs);
  return epochMs === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}
