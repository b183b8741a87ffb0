import { createHash, randomBytes } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { SessionCodecError, SessionConfigError, sessionTooLarge } from "../common/errors.js";
import type { ForeignFormat, ForeignRecord } from "./foreign-format.js";
import {
  DEFAULT_MARSHAL_LIMITS,
  type MarshalLimits,
  type MIvar,
  type MNode,
  NIL,
  symbol,
  TRUE,
} from "./marshal/marshal-node.js";
import { readMarshal } from "./marshal/marshal-reader.js";
import { marshalToValue, valueToMarshal } from "./marshal/marshal-view.js";
import { writeMarshal } from "./marshal/marshal-writer.js";

export interface RailsOptions {
  /**
   * "cache": ActionDispatch::Session::CacheStore over ActiveSupport::Cache::RedisCacheStore (key
   * `[namespace:]_session_id:2::<sha256>`, value a cache entry). "redis-store": redis-actionpack's
   * RedisStore (key `<namespace>:2::<sha256>`, value the bare Marshal of the session hash).
   */
  store: "cache" | "redis-store";
  /** The cache's `namespace:` (cache: none by default), or redis-store's URL path namespace ("rack:session"). */
  namespace?: string;
  /**
   * The session lifetime Rails is configured with (`expire_after`). Both Rails stores write no TTL at all
   * when it is not set; sessionkit always writes one, this long. Default "14d".
   */
  expireAfter?: Duration;
  /** The session cookie's name (Rails' `key:` option). Default "_session_id". */
  cookieName?: string;
  /** Cache store: entries whose Marshal is at least this long are zlib-deflated, as Rails does. Default 1024. */
  compressThreshold?: number;
  /** Cache store: the entry format to write new sessions in: "6.1" (default), "7.0" or "7.1". */
  cacheFormat?: "6.1" | "7.0" | "7.1";
  limits?: Partial<MarshalLimits>;
}

const ENTRY_CLASS = "ActiveSupport::Cache::Entry";
const latin1 = new TextDecoder("latin1");

/** Rack's hashed session key (CVE-2019-16782): "2::" + SHA-256 of the cookie's public ID. */
function privateId(publicId: string): string {
  return `2::${createHash("sha256").update(publicId).digest("hex")}`;
}

interface RailsRecord extends ForeignRecord<MNode> {
  envelope?: "6.1" | "7.0" | "7.1" | "bare";
}

/** The Rails session stores' format: see RailsOptions. */
export function rails(options: RailsOptions): ForeignFormat<MNode> {
  const { store, cookieName = "_session_id", compressThreshold = 1024, cacheFormat = "6.1" } = options;
  if (store !== "cache" && store !== "redis-store")
    throw new SessionConfigError('rails({ store }) must be "cache" or "redis-store"');
  const expireAfterMs = toMilliseconds(options.expireAfter ?? "14d", "rails({ expireAfter })");
  if (expireAfterMs <= 0)
    throw new SessionConfigError("rails({ expireAfter }) must be positive: no key without a TTL");
  const limits = { ...DEFAULT_MARSHAL_LIMITS, ...options.limits };
  const namespace = options.namespace ?? (store === "cache" ? "" : "rack:session");
  const prefix = namespace === "" ? "" : `${namespace}:`;

  const decodeHash = (node: MNode): Map<string, MNode> => {
    if (node.k !== "hash" || node.defaultValue)
      throw new SessionCodecError("a Rails session that is not a Hash");
    const attributes = new Map<string, MNode>();
    for (const [key, value] of node.entries) {
      // Rack's SessionHash stringifies every key it stores.
      const name = key.k === "string" ? utf8(key.bytes) : undefined;
      if (name === undefined) throw new SessionCodecError("a Rails session key that is not a UTF-8 String");
      attributes.set(name, value);
    }
    return attributes;
  };
  const hashNode = (attributes: Map<string, MNode>): MNode => ({
    k: "hash",
    entries: [...attributes].map(([key, value]): [MNode, MNode] => [valueToMarshal(key), value]),
  });
  const inflate = (bytes: Uint8Array): Uint8Array => {
    try {
      return inflateSync(bytes, { maxOutputLength: limits.maxBytes });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        throw sessionTooLarge(`a compressed Rails session over ${limits.maxBytes} bytes`);
      throw new SessionCodecError("a Rails cache entry whose zlib data is corrupt", error);
    }
  };

  const decodeCache = (bytes: Uint8Array): RailsRecord => {
    if (bytes[0] === 0x00 && bytes[1] === 0x11) return decode71(bytes);
    if (bytes[0] === 0x00 || bytes[0] === 0x01) {
      // Rails 7.0: 0x00 + Marshal([value, expires_at, version]), or 0x01 + the same deflated.
      const node = readMarshal(bytes[0] === 0x01 ? inflate(bytes.subarray(1)) : bytes.subarray(1), limits);
      if (node.k !== "array") throw new SessionCodecError("a Rails 7.0 cache entry that is not an Array");
      const [value, expiresAt] = node.items;
      const expiresAtMs = expiresAt?.k === "float" ? Number(expiresAt.text) * 1000 : undefined;
      return { attributes: decodeHash(value ?? NIL), expiresAtMs, envelope: "7.0" };
    }
    const node = readMarshal(bytes, limits);
    if (node.k !== "object" || latin1.decode(node.className.name) !== ENTRY_CLASS)
      throw new SessionCodecError(`a Rails cache value that is not an ${ENTRY_CLASS}`);
    const ivars = new Map(node.ivars.map(([key, value]) => [latin1.decode(key.name), value]));
    let value = ivars.get("@value") ?? NIL;
    if (ivars.get("@compressed")?.k === "true") {
      if (value.k !== "string") throw new SessionCodecError("a compressed Rails cache entry without bytes");
      value = readMarshal(inflate(value.bytes), limits);
    }
    const createdAt = ivars.get("@created_at");
    const expiresIn = ivars.get("@expires_in");
    const expiresAtMs =
      createdAt?.k === "float" && expiresIn?.k === "float"
        ? (Number(createdAt.text) + Number(expiresIn.text)) * 1000
        : undefined;
    return { attributes: decodeHash(value), expiresAtMs, envelope: "6.1" };
  };

  const decode71 = (bytes: Uint8Array): RailsRecord => {
    if (bytes.length < 15) throw new SessionCodecError("a truncated Rails 7.1 cache entry");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const type = bytes[2] as number;
    const expiresAt = view.getFloat64(3, true);
    const versionLength = view.getInt32(11, true);
    const start = 15 + Math.max(0, versionLength);
    if ((type & 0x7f) !== 0x01 || start > bytes.length)
      throw new SessionCodecError("a Rails 7.1 cache entry that does not hold a Marshal object");
    const payload = bytes.subarray(start);
    const node = readMarshal(type & 0x80 ? inflate(payload) : payload, limits);
    return {
      attributes: decodeHash(node),
      expiresAtMs: expiresAt < 0 ? undefined : expiresAt * 1000,
      envelope: "7.1",
    };
  };

  const encodeCache = (record: RailsRecord, ttlMs: number, nowMs: number): Uint8Array => {
    const marshal = writeMarshal(hashNode(record.attributes));
    const deflated = marshal.length >= compressThreshold ? deflateSync(marshal) : undefined;
    const compressed = deflated !== undefined && deflated.length < marshal.length ? deflated : undefined;
    const format = record.envelope === "7.0" || record.envelope === "7.1" ? record.envelope : cacheFormat;
    const expiresAt = (nowMs + ttlMs) / 1000;
    if (format === "7.1") {
      const header = new Uint8Array(15);
      const view = new DataView(header.buffer);
      header.set([0x00, 0x11, compressed ? 0x81 : 0x01]);
      view.setFloat64(3, expiresAt, true);
      view.setInt32(11, -1, true);
      return Buffer.concat([header, compressed ?? marshal]);
    }
    if (format === "7.0") {
      const body = writeMarshal({
        k: "array",
        items: [hashNode(record.attributes), { k: "float", text: String(expiresAt) }],
      });
      return compressed
        ? Buffer.concat([Uint8Array.of(0x01), deflateSync(body)])
        : Buffer.concat([Uint8Array.of(0), body]);
    }
    const ivars: MIvar[] = [
      [symbol("@value"), compressed ? { k: "string", bytes: compressed } : hashNode(record.attributes)],
      [symbol("@version"), NIL],
      [symbol("@created_at"), { k: "float", text: String(nowMs / 1000) }],
      [symbol("@expires_in"), { k: "float", text: String(ttlMs / 1000) }],
    ];
    if (compressed) ivars.push([symbol("@compressed"), TRUE]);
    return writeMarshal({ k: "object", className: symbol(ENTRY_CLASS), ivars });
  };

  return {
    name: store === "cache" ? "rails-cache" : "rails-redis-store",
    cookieName,
    keyFor(publicId) {
      // Rack's IDs are SecureRandom.hex(16). Anything else (a private "2::..." ID above all, which the
      // stores' legacy fallback would look up as is) is no session.
      if (!/^[0-9a-f]{32}$/.test(publicId)) return undefined;
      return store === "cache"
        ? `${prefix}_session_id:${privateId(publicId)}`
        : `${prefix}${privateId(publicId)}`;
    },
    newId: () => randomBytes(16).toString("hex"),
    decode: (bytes) =>
      store === "cache"
        ? decodeCache(bytes)
        : { attributes: decodeHash(readMarshal(bytes, limits)), envelope: "bare" },
    encode: (record, ttlMs, nowMs) =>
      store === "cache" ? encodeCache(record, ttlMs, nowMs) : writeMarshal(hashNode(record.attributes)),
    toValue: (node) => marshalToValue(node),
    fromValue: (value) => valueToMarshal(value),
    ttlMsFor: () => expireAfterMs,
  };
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
