import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { SessionConfigError } from "../../common/errors.js";

export interface UnsignResult {
  value: string;
  /** True when an older secret matched: the cookie should be re-issued with the current one. */
  signedWithOldSecret: boolean;
}

const MIN_SECRET_LENGTH = 32;
const MIN_DISTINCT_CHARACTERS = 8;

/**
 * HMAC-SHA256 cookie signing with key rotation: the first secret signs, every secret verifies
 * (the habit of express-session and @fastify/cookie). Format: `<value>.<base64url mac>`.
 */
export class CookieSigner {
  /** The secrets as HMAC keys, made once: a string key is converted again on every createHmac. */
  readonly #keys: readonly KeyObject[];
  constructor(secret: string | readonly (string | undefined)[]) {
    if (typeof secret !== "string" && !Array.isArray(secret)) {
      throw new SessionConfigError("secret is required: a string, or a list whose first entry signs");
    }
    const listed: unknown[] = typeof secret === "string" ? [secret] : [...secret];
    if (listed.length === 0) throw new SessionConfigError("secret must be a string or a non-empty list");
    // `[KEY, process.env.OLD_KEY]` without OLD_KEY set: an old key that is absent simply verifies nothing.
    // The first entry signs and must be there.
    const secrets = listed.filter((s, n) => n === 0 || (s !== undefined && s !== null && s !== ""));
    secrets.forEach((s, n) => {
      const which = typeof secret === "string" ? "secret" : `secret[${listed.indexOf(s)}]`;
      if (typeof s !== "string") {
        throw new SessionConfigError(
          `${which} is ${s === undefined ? "undefined" : typeof s}: ${n === 0 ? "the first secret signs every cookie and must be a string (is its environment variable set?)" : "each secret must be a string"}`,
        );
      }
      // A placeholder ("                " or "xxxxxxxx...") is as guessable as no secret.
      if (s.length < MIN_SECRET_LENGTH || new Set(s.trim()).size < MIN_DISTINCT_CHARACTERS) {
        throw new SessionConfigError(
          `${which} must be a string of at least ${MIN_SECRET_LENGTH} characters, not a placeholder (a random one: openssl rand -base64 48)`,
        );
      }
    });
    this.#keys = (secrets as string[]).map((s) => createSecretKey(Buffer.from(s, "utf8")));
  }

  /**
   * A session ID derived from `input` under the signing secret: 32 bytes of HMAC-SHA256 as base64url, the
   * shape of a random ID. Imports use it so that every request carrying one legacy session (and the bulk
   * converter) name the same sessionkit session; as secret as the legacy session's own ID.
   */
  deriveId(input: string): string {
    return createHmac("sha256", this.#keys[0] as KeyObject)
      .update(`sessionkit-import\0${input}`)
      .digest("base64url");
  }

  sign(value: string): string {
    return `${value}.${mac(value, this.#keys[0] as KeyObject)}`;
  }

  /**
   * Returns null for anything that is not a value signed by one of the secrets. One HMAC per secret
   * tried; SessionManager remembers verified cookies (verified-cookies.ts) so a returning browser skips it.
   */
  unsign(signed: string): UnsignResult | null {
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return null;
    const value = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1));
    for (let i = 0; i < this.#keys.length; i++) {
      const expected = Buffer.from(mac(value, this.#keys[i] as KeyObject));
      // Constant-time comparison: a timing difference would leak how many MAC bytes were right.
      if (expected.length === given.length && timingSafeEqual(expected, given)) {
        return { value, signedWithOldSecret: i > 0 };
      }
    }
    return null;
  }
}

function mac(value: string, key: KeyObject): string {
  return createHmac("sha256", key).update(value).digest("base64url");
}
