import { SessionConfigError } from "../common/errors.js";

/**
 * The one place that builds Redis keys. The layout is part of the public API (README "Redis key layout"):
 *
 *   <prefix>:<ns>:s:{<hash>}            STRING a session without a principal; always has a TTL
 *   <prefix>:<ns>:s:{<tag>}<hash>       STRING a session of a principal (after setPrincipal); always has a TTL
 *   <prefix>:<ns>:p:{<tag>}<phash>      ZSET   a principal's sessions: member <hash>, score = deadline (ms);
 *                                              TTL = that of its longest-lived session, pruned when read
 *   <prefix>:<ns>:x:{<n>}               ZSET   expiry schedule bucket n (0-15), events mode only: member
 *                                              = session key id, score = deadline; emptied by the sweeper
 *   <prefix>:<ns>:events                STREAM session events, events mode only; trimmed to a maximum length
 *   <prefix>:<ns>:es:{<sha256>}         STRING an express-session store's session (sessionkit/express-session),
 *                                              its serialised object; always has a TTL
 *   <prefix>:<ns>:es-gone:{<sha256>}    STRING "1" left by that store's destroy(): refuses late saves; TTL
 *                                              tombstoneTtl
 *
 * prefix defaults to "sk". hash is the first 22 base64url characters (132 bits) of SHA-256(session ID),
 * never the ID (session/session-id.ts sessionKeyId); the express-session store keeps all 43 (sha256).
 * What sits inside the braces, with the tag and a dot before the hash when there is one, is the
 * session's keyId (store/key-id.ts). A session record is one string of packed fields
 * (redis/packed-record.ts). Key length matters for memory: Redis stores a key of up to 44 characters in
 * a 48-byte allocation (3-byte sds header + NUL), so "sk:default:s:{<22>}" (37 characters) costs the
 * same as connect-redis's "sess:<32-char id>"; the old "sessionkit:default:s:{<43>}" (66) took 80 bytes.
 * The braces are Redis Cluster hash tags: a principal's sessions and its index share the principal's
 * slot tag, so one script can update them together (a revoke-all and a concurrent login are then
 * ordered, never interleaved).
 */
export interface KeyLayout {
  readonly namespacePrefix: string;
  /** keyId: "<hash>" or "<tag>.<hash>" (session/session-id.ts sessionKeyId). */
  sessionKey(keyId: string): string;
  /** SCAN MATCH pattern of every session key of the namespace. */
  readonly sessionKeyPattern: string;
  /** The keyId of a session key (inverse of sessionKey); undefined for a key that is not one. */
  keyIdOfSessionKey(key: string): string | undefined;
  /** indexId: "<tag>.<phash>" (session/session-id.ts principalIndexId). */
  principalIndexKey(indexId: string): string;
  /** Session keys of a principal's slot: this prefix + the member hash. */
  principalSessionPrefix(indexId: string): string;
  scheduleKey(bucket: number): string;
  readonly eventsKey: string;
  /** The express-session store's record of a session whose SHA-256 (43 characters) is `sha256`. */
  expressSessionKey(sha256: string): string;
  /** Its tombstone: same hash tag, so one script writes both. */
  expressSessionTombstoneKey(sha256: string): string;
  /** Prefix of every express-session store record (SCAN MATCH `${prefix}*`; the sha256 follows in braces). */
  readonly expressSessionPrefix: string;
}

export const SCHEDULE_BUCKETS = 16;

/** The default first segment of every key: short, because every session key carries it. */
export const DEFAULT_KEY_PREFIX = "sk";

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function createKeyLayout(prefix: string, namespace: string): KeyLayout {
  for (const [option, value] of [
    ["keyPrefix", prefix],
    ["namespace", namespace],
  ] as const) {
    if (!NAME_PATTERN.test(value)) {
      throw new SessionConfigError(
        `${option} must be 1-64 characters of A-Z a-z 0-9 . _ - (got ${JSON.stringify(value)})`,
      );
    }
  }
  const namespacePrefix = `${prefix}:${namespace}:`;
  const tagged = (kind: string, id: string) => {
    const dot = id.indexOf(".");
    return dot === -1
      ? `${namespacePrefix}${kind}:{${id}}`
      : `${namespacePrefix}${kind}:{${id.slice(0, dot)}}${id.slice(dot + 1)}`;
  };
  const sessionPrefix = `${namespacePrefix}s:{`;
  return {
    namespacePrefix,
    sessionKey: (keyId) => tagged("s", keyId),
    sessionKeyPattern: `${sessionPrefix}*`,
    keyIdOfSessionKey: (key) => {
      if (!key.startsWith(sessionPrefix)) return undefined;
      const close = key.indexOf("}", sessionPrefix.length);
      if (close === -1) return undefined;
      const inBraces = key.slice(sessionPrefix.length, close);
      return close === key.length - 1 ? inBraces : `${inBraces}.${key.slice(close + 1)}`;
    },
    principalIndexKey: (indexId) => tagged("p", indexId),
    principalSessionPrefix: (indexId) => `${namespacePrefix}s:{${indexId.slice(0, indexId.indexOf("."))}}`,
    scheduleKey: (bucket) => `${namespacePrefix}x:{${bucket}}`,
    eventsKey: `${namespacePrefix}events`,
    expressSessionKey: (sha256) => `${namespacePrefix}es:{${sha256}}`,
    expressSessionTombstoneKey: (sha256) => `${namespacePrefix}es-gone:{${sha256}}`,
    expressSessionPrefix: `${namespacePrefix}es:`,
  };
}
