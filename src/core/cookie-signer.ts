import { createHmac, timingSafeEqual } from "node:crypto";
import { SessionConfigError } from "./errors.js";

export interface UnsignResult {
  value: string;
  /** True when an older secret matched: the cookie should be re-issued with the current one. */
  signedWithOldSecret: boolean;
}

const MIN_SECRET_LENGTH = 32;

/**
 * HMAC-SHA256 cookie signing with key rotation: the first secret signs, every secret verifies
 * (the habit of express-session and @fastify/cookie). Format: `<value>.<base64url mac>`.
 */
export class CookieSigner {
  readonly #secrets: readonly string[];

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
    this.#secrets = secrets;
  }

  sign(value: string): string {
    return `${value}.${mac(value, this.#secrets[0] as string)}`;
  }

  /** Returns null for anything that is not a value signed by one of the secrets. */
  unsign(signed: string): UnsignResult | null {
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return null;
    const value = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1));
    for (let i = 0; i < this.#secrets.length; i++) {
      const expected = Buffer.from(mac(value, this.#secrets[i] as string));
      // Constant-time comparison: a timing difference would leak how many MAC bytes were right.
      if (expected.length === given.length && timingSafeEqual(expected, given)) {
        return { value, signedWithOldSecret: i > 0 };
      }
    }
    return null;
  }
}

function mac(value: string, secret: string): string {
  return createHmac("sha256", secret).update(value).digest("base64url");
}
