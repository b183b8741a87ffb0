import { unsharedCopy } from "../../common/unshared-copy.js";

/** Verified cookies remembered per generation (two generations: at most twice this many). */
const GENERATION_SIZE = 10_000;

/**
 * Session cookies whose HMAC was already checked, so a returning browser costs no HMAC (the largest single
 * cost of a read request). Keyed by the session's key id (the SHA-256 of the ID that the request computes
 * anyway for its Redis key) and the cookie's MAC, never by the cookie: a heap snapshot must not hold
 * working cookies (rule 6), and neither part is one (the MAC is useless without the ID, the key id cannot
 * be turned back into it). A forged cookie would need another ID with the same hash to hit an entry.
 * Only valid cookies enter, and a signature stays valid for the process's list of secrets.
 */
export class VerifiedCookies {
  // Key id -> the MAC verified with it: no string built per lookup; a cookie must match both.
  #current = new Map<string, VerifiedMac>();
  #previous = new Map<string, VerifiedMac>();

  /** Whether this cookie was verified, and if so whether an older secret signed it. */
  lookup(keyId: string, mac: string): boolean | undefined {
    const known = this.#current.get(keyId);
    if (known !== undefined) return sameMac(known.mac, mac) ? known.signedWithOldSecret : undefined;
    const before = this.#previous.get(keyId);
    if (before === undefined || !sameMac(before.mac, mac)) return undefined;
    // Still in use: carried into the current generation, so active sessions never fall out.
    this.#add(unsharedCopy(keyId), before);
    return before.signedWithOldSecret;
  }

  /**
   * The MAC under the current (first) secret of the session whose key id this is, when a cookie of it was
   * verified or issued: re-issuing that session's cookie then needs no HMAC. (The key id is a 132-bit hash
   * of the ID, so an entry belongs to that one ID.)
   */
  currentMac(keyId: string): string | undefined {
    const known = this.#current.get(keyId) ?? this.#previous.get(keyId);
    return known === undefined || known.signedWithOldSecret ? undefined : known.mac;
  }

  /**
   * Keeps copies (see unsharedCopy): the MAC is a slice of a Cookie header or of a signed cookie, the key id
   * a slice of the ID's full hash.
   */
  remember(keyId: string, mac: string, signedWithOldSecret: boolean): void {
    this.#add(unsharedCopy(keyId), { mac: unsharedCopy(mac), signedWithOldSecret });
  }

  #add(keyId: string, verified: VerifiedMac): void {
    if (this.#current.size >= GENERATION_SIZE) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(keyId, verified);
  }
}

/**
 * Whether two MACs are equal, in a time that depends on their length only (rule 6: comparisons are
 * constant-time). `===` stops at the first differing character: whoever knows an ID whose cookie is
 * cached could then learn its MAC a character at a time, without the secret.
 */
function sameMac(known: string, given: string): boolean {
  if (known.length !== given.length) return false;
  let difference = 0;
  for (let i = 0; i < known.length; i++) difference |= known.charCodeAt(i) ^ given.charCodeAt(i);
  return difference === 0;
}

interface VerifiedMac {
  readonly mac: string;
  readonly signedWithOldSecret: boolean;
}
