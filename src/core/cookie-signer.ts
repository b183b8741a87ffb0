import { createHmac, createSecretKey, hash, type KeyObject, timingSafeEqual } from "node:crypto";
import { SessionConfigError } from "./errors.js";

export interface UnsignResult {
  value: string;
  /** True when an older secret matched: the cookie should be re-issued with the current one. */
  signedWithOldSecret: boolean;
}

const MIN_SECRET_LENGTH = 32;
/** Verified cookies remembered per generation (two generations: at most twice this many). */
const VERIFIED_GENERATION_SIZE = 10_000;

/**
 * HMAC-SHA256 cookie signing with key rotation: the first secret signs, every secret verifies
 * (the habit of express-session and @fastify/cookie). Format: `<value>.<base64url mac>`.
 */
export class CookieSigner {
  /** The secrets as HMAC keys, made once: a string key is converted again on every createHmac. */
  readonly #keys: readonly KeyObject[];
  /**
   * Cookies already verified, so a returning browser costs one SHA-256 instead of an HMAC per secret
   * (HMAC is the largest single cost of a read request). Keyed by SHA-256 of the signed text, never the
   * text: a heap snapshot must not hold working cookies (rule 6), and the lookup compares digests of the
   * input, so its timing says nothing about any stored cookie. Only valid cookies enter; a signature's
   * validity never changes for a given list of secrets; two generations bound the memory.
   * Value: signed with an older secret.
   */
  #verified = new Map<string, boolean>();
  #verifiedBefore = new Map<string, boolean>();

  constructor(secret: string | readonly string[]) {
    if (typeof secret !== "string" && !Array.isArray(secret)) {
      throw new SessionConfigError("secret is required: a string, or a list whose first entry signs");
    }
    const secrets: string[] = typeof secret === "string" ? [secret] : [...secret];
    if (secrets.length === 0) throw new SessionConfigError("secret must be a string or a non-empty list");
    for (const s of secrets) {
      if (typeof s !== "string" || s.length < MIN_SECRET_LENGTH) {
        throw new SessionConfigError(
          `each secret must be a string of at least ${MIN_SECRET_LENGTH} characters (a random one: openssl rand -base64 48)`,
        );
      }
    }
    this.#keys = secrets.map((s) => createSecretKey(Buffer.from(s, "utf8")));
  }

  sign(value: string): string {
    return `${value}.${mac(value, this.#keys[0] as KeyObject)}`;
  }

  /** Returns null for anything that is not a value signed by one of the secrets. */
  unsign(signed: string): UnsignResult | null {
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return null;
    const value = signed.slice(0, dot);
    const fingerprint = hash("sha256", signed, "base64");
    const known = this.#verified.get(fingerprint) ?? this.#verifiedBefore.get(fingerprint);
    if (known !== undefined) {
      this.#remember(fingerprint, known);
      return { value, signedWithOldSecret: known };
    }
    const given = Buffer.from(signed.slice(dot + 1));
    for (let i = 0; i < this.#keys.length; i++) {
      const expected = Buffer.from(mac(value, this.#keys[i] as KeyObject));
      // Constant-time comparison: a timing difference would leak how many MAC bytes were right.
      if (expected.length === given.length && timingSafeEqual(expected, given)) {
        this.#remember(fingerprint, i > 0);
        return { value, signedWithOldSecret: i > 0 };
      }
    }
    return null;
  }

  #remember(fingerprint: string, signedWithOldSecret: boolean): void {
    if (this.#verified.has(fingerprint)) return;
    if (this.#verified.size >= VERIFIED_GENERATION_SIZE) {
      this.#verifiedBefore = this.#verified;
      this.#verified = new Map();
    }
    this.#verified.set(fingerprint, signedWithOldSecret);
  }
}

function mac(value: string, key: KeyObject): string {
  return createHmac("sha256", key).update(value).digest("base64url");
}
