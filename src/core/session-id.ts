import { createHash, randomBytes } from "node:crypto";

/** 32 random bytes (256 bits) as base64url: 43 characters. */
const ID_BYTES = 32;
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateSessionId(): string {
  return randomBytes(ID_BYTES).toString("base64url");
}

/** Cheap shape check before any crypto or Redis work: a cookie that is not an ID is tampered. */
export function isWellFormedSessionId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/**
 * The Redis key holds SHA-256(id), never the id: whoever reads Redis, a replica or a backup cannot
 * turn a key into a working cookie (DESIGN rule 6). A plain hash (no salt) is enough because the
 * input is 256 random bits: there is nothing to brute-force.
 */
export function hashSessionId(id: string): string {
  return createHash("sha256").update(id).digest("base64url");
}
