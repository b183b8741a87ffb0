import { randomInt } from "node:crypto";
import { deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { SessionCodecError, SessionConfigError, sessionTooLarge } from "../common/errors.js";
import type { ForeignFormat } from "./foreign-format.js";
import { PyDateTime } from "./foreign-value.js";
import { DEFAULT_PICKLE_LIMITS, type PickleLimits, type PNode } from "./pickle/pickle-node.js";
import { readPickle } from "./pickle/pickle-reader.js";
import { pickleToValue, type UnknownTypes, valueToPickle } from "./pickle/pickle-view.js";
import { type PickleProtocol, writePickle } from "./pickle/pickle-writer.js";

export interface DjangoOptions {
  /** CACHES["default"]["KEY_PREFIX"]. Default "". */
  keyPrefix?: string;
  /** CACHES["default"]["VERSION"]. Default 1. */
  version?: number;
  /** django-redis's COMPRESSOR: "zlib" or "gzip" (others are not read). Default none. */
  compressor?: "zlib" | "gzip";
  /** django-redis's PICKLE_VERSION. Default 4 (pickle.DEFAULT_PROTOCOL since Python 3.8). */
  protocol?: PickleProtocol;
  /** SESSION_COOKIE_NAME. Default "sessionid". */
  cookieName?: string;
  /** SESSION_COOKIE_AGE: the TTL of a session without `_session_expiry`. Default "14d" (1209600 s). */
  sessionCookieAge?: Duration;
  /**
   * A pickled class outside the allowlist: "opaque" keeps it inert and writes it back as read (default);
   * "refuse" treats the whole record as corrupt.
   */
  unknownTypes?: UnknownTypes;
  limits?: Partial<PickleLimits>;
}

const KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
const EXPIRY = "_session_expiry";

/** Django's cache session engine (django.contrib.sessions.backends.cache) through django-redis. */
export function django(options: DjangoOptions = {}): ForeignFormat<PNode> {
  const { keyPrefix = "", version = 1, compressor, protocol = 4, cookieName = "sessionid" } = options;
  if (compressor !== undefined && compressor !== "zlib" && compressor !== "gzip")
    throw new SessionConfigError('django({ compressor }) must be "zlib" or "gzip"');
  if (![3, 4, 5].includes(protocol)) throw new SessionConfigError("django({ protocol }) must be 3, 4 or 5");
  const ageMs = toMilliseconds(options.sessionCookieAge ?? "14d", "django({ sessionCookieAge })");
  if (ageMs <= 0) throw new SessionConfigError("django({ sessionCookieAge }) must be positive");
  const limits = { ...DEFAULT_PICKLE_LIMITS, ...options.limits };
  const unknownTypes = options.unknownTypes ?? "opaque";

  const decompress = (bytes: Uint8Array): Uint8Array => {
    // django-redis leaves values of 15 bytes or less uncompressed, and so do we: a pickle starts with PROTO.
    if (compressor === undefined || bytes[0] === 0x80) return bytes;
    try {
      const inflate = compressor === "zlib" ? inflateSync : gunzipSync;
      return inflate(bytes, { maxOutputLength: limits.maxBytes });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        throw sessionTooLarge(`a compressed Django session over ${limits.maxBytes} bytes`);
      throw new SessionCodecError(`a Django session whose ${compressor} data is corrupt`, error);
    }
  };

  return {
    name: "django-cache",
    cookieName,
    keyFor(publicId) {
      // get_random_string(32, lowercase + digits); Django refuses keys shorter than 8.
      if (!/^[a-z0-9]{8,128}$/.test(publicId)) return undefined;
      return `${keyPrefix}:${version}:django.contrib.sessions.cache${publicId}`;
    },
    newId: () => Array.from({ length: 32 }, () => KEY_CHARS[randomInt(KEY_CHARS.length)]).join(""),
    decode(bytes) {
      const node = readPickle(decompress(bytes), limits);
      if (node.k !== "dict") throw new SessionCodecError("a Django session that is not a dict");
      const attributes = new Map<string, PNode>();
      for (const [key, value] of node.entries) {
        const name = key.k === "str" ? utf8(key.bytes) : undefined;
        if (name === undefined) throw new SessionCodecError("a Django session key that is not a UTF-8 str");
        // Checked here so "refuse" refuses the record at read time, not at the first access.
        if (unknownTypes === "refuse") pickleToValue(value, "refuse");
        attributes.set(name, value);
      }
      return { attributes };
    },
    encode(record) {
      const entries = [...record.attributes].map(([key, value]): [PNode, PNode] => [
        valueToPickle(key),
        value,
      ]);
      const pickle = writePickle({ k: "dict", entries }, protocol);
      if (compressor === undefined || pickle.length <= 15) return pickle;
      return compressor === "zlib" ? deflateSync(pickle, { level: 6 }) : gzipSync(pickle);
    },
    toValue: (node) => pickleToValue(node, unknownTypes),
    fromValue: (value) => valueToPickle(value),
    ttlMsFor(record, nowMs) {
      // SessionBase.get_expiry_age: an int is the age in seconds, a datetime the moment it ends.
      const expiry = record.attributes.get(EXPIRY);
      if (expiry === undefined) return ageMs;
      const value = pickleToValue(expiry);
      if (typeof value === "number") return Math.max(1000, value * 1000);
      if (value instanceof PyDateTime) return Math.max(1000, value.toDate().getTime() - nowMs);
      if (typeof value === "string" && !Number.isNaN(Date.parse(value)))
        return Math.max(1000, Date.parse(value) - nowMs);
      return ageMs;
    },
    withTtl(record, ttlMs, nowMs) {
      // An explicit TTL replaces `_session_expiry`, so Django computes the same age: an integer stays an
      // integer; an aware datetime becomes now + TTL in UTC (a naive one is left: USE_TZ=False would
      // fail comparing it with an aware one, so its TTL and expiry may then differ).
      const expiry = record.attributes.get(EXPIRY);
      if (expiry?.k === "int") record.attributes.set(EXPIRY, valueToPickle(Math.ceil(ttlMs / 1000)));
      const value = expiry?.k === "reduce" ? pickleToValue(expiry) : undefined;
      if (value instanceof PyDateTime && value.utcOffsetSeconds !== null)
        record.attributes.set(EXPIRY, valueToPickle(PyDateTime.fromDate(new Date(nowMs + ttlMs))));
    },
  };
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
