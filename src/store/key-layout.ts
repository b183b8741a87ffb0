import { SessionConfigError } from "../core/errors.js";

/**
 * The one place that builds Redis keys. The layout is part of the public API (README "Redis key layout"):
 *
 *   <prefix>:<namespace>:s:{<keyHash>}   HASH, one session (fields in core/session-record.ts), always with a TTL
 *
 * keyHash is SHA-256(session ID) in base64url, never the ID itself. The braces are a Redis Cluster hash
 * tag: every key that belongs to one session hashes to the same slot, so one script can touch them all.
 */
export interface KeyLayout {
  readonly namespacePrefix: string;
  sessionKey(keyHash: string): string;
}

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
  return {
    namespacePrefix,
    sessionKey: (keyHash) => `${namespacePrefix}s:{${keyHash}}`,
  };
}
