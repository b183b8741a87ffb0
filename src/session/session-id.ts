import { createHash, hash, randomBytes } from "node:crypto";

/** 32 random bytes (256 bits) as base64url: 43 characters. */
const ID_BYTES = 32;
/**
 * An ID is 43 random characters, optionally behind a 7-character slot tag and a dot: the tag of the
 * session's principal (see principalTag), which puts all of a user's sessions in one Redis Cluster slot.
 * 7 characters (42 bits) spread principals over the 16,384 slots evenly, and keep a principal's session
 * key at 44 characters with the default prefix: the longest key Redis keeps in a 48-byte allocation.
 */
const RANDOM_LENGTH = 43;
const TAG_LENGTH = 7;
const DOT = 0x2e;
/** Character code -> 1 for the base64url alphabet (A-Z a-z 0-9 - _). */
const BASE64URL = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
  BASE64URL[c.charCodeAt(0)] = 1;

export function generateSessionId(tag?: string): string {
  const random = randomBytes(ID_BYTES).toString("base64url");
  return tag === undefined ? random : `${tag}.${random}`;
}

/**
 * Cheap shape check before any crypto or Redis work: a cookie that is not an ID is tampered. The shape of
 * /^(?:[A-Za-z0-9_-]{7}\.)?[A-Za-z0-9_-]{43}$/, checked without a regular expression: V8 keeps the subject
 * of the last successful match (RegExp.lastMatch), and the ID is a slice of the Cookie header, which would
 * keep that header, session cookie included, in the heap until some other match replaces it.
 */
export function isWellFormedSessionId(value: string): boolean {
  const tagged = value.length === TAG_LENGTH + 1 + RANDOM_LENGTH;
  if (!tagged && value.length !== RANDOM_LENGTH) return false;
  if (tagged && value.charCodeAt(TAG_LENGTH) !== DOT) return false;
  for (let i = 0; i < value.length; i++) {
    // A code of 128 or more reads undefined: not in the alphabet.
    if (BASE64URL[value.charCodeAt(i)] !== 1 && !(tagged && i === TAG_LENGTH)) return false;
  }
  return true;
}

/**
 * SHA-256(id) in base64url (43 characters): what the express-session store keys hold. A plain hash (no
 * salt) is enough because the input is 256 random bits: there is nothing to brute-force.
 */
export function hashSessionId(id: string): string {
  // One-shot crypto.hash (Node 20.12+): no Hash object per request.
  return hash("sha256", id, "base64url");
}

/**
 * Characters of the base64url SHA-256 kept in a session key: 22 characters = the first 132 bits.
 * Rule 6 still holds: the key holds a hash of the ID, never the ID, and 132 bits are far beyond reach:
 * finding an ID for a given key takes ~2^132 hashes (~2^105 for "any of 10^8 keys"), and even then the
 * cookie must carry an HMAC under the app's secret. Accidental collisions are negligible too: with 10^8
 * live sessions the chance that two share a key is ~n^2 / 2^133, about 1e-24. It keeps a session key
 * "sk:default:s:{<hash>}" at 37 characters, inside Redis's 48-byte allocation for keys up to 44
 * (the full 43-character hash made keys of 66 characters: 80 bytes each).
 */
const KEY_HASH_LENGTH = 22;

/**
 * What names a session in the store: the truncated SHA-256 of the ID (see KEY_HASH_LENGTH), behind the
 * ID's slot tag when it has one ("<tag>.<hash>"). The tag is not secret (it only says which slot), the
 * hash part (the session's handle, store/key-id.ts) is the rule-6 hash.
 */
export function sessionKeyId(id: string): string {
  const hash = hashSessionId(id).slice(0, KEY_HASH_LENGTH);
  const dot = id.indexOf(".");
  return dot === -1 ? hash : `${id.slice(0, dot)}.${hash}`;
}

/** The slot tag of a principal: stable for a principal, spread evenly over the cluster's slots. */
export function principalTag(principal: string): string {
  return createHash("sha256")
    .update(`sessionkit-principal:${principal}`)
    .digest("base64url")
    .slice(0, TAG_LENGTH);
}

/** The index of a principal's sessions: its slot tag and a full hash of the principal ("<tag>.<hash>"). */
export function principalIndexId(principal: string): string {
  return `${principalTag(principal)}.${createHash("sha256").update(principal).digest("base64url")}`;
}
