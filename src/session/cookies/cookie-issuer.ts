import { isWellFormedSessionId, sessionKeyId } from "../session-id.js";
import { CookieSigner } from "./cookie-signer.js";
import {
  type ResolvedCookieOptions,
  readCookie,
  readCookies,
  serializeClearingCookie,
  serializeSessionCookie,
} from "./session-cookie.js";
import { VerifiedCookies } from "./verified-cookies.js";

/** A session cookie whose signature checked out. */
export interface VerifiedSessionCookie {
  /** The secret session ID. */
  id: string;
  keyId: string;
  /** Signed by a secret other than the first: the response re-issues it. */
  signedWithOldSecret: boolean;
}

/** The request carried no session cookie. */
export const NO_COOKIE = "none";
/** The request's session cookie is not an ID signed by any of the secrets (tampered, or another app's). */
export const INVALID_COOKIE = "invalid";

/**
 * Reads and writes the session cookie: "<ID>.<HMAC>" under the first secret, verified under all of them
 * (rule 6). A cookie verified (or issued) before is recognised by its keyId and MAC without an HMAC.
 */
export class CookieIssuer {
  readonly options: ResolvedCookieOptions;
  readonly #signer: CookieSigner;
  readonly #verified = new VerifiedCookies();

  constructor(options: ResolvedCookieOptions, secret: string | readonly (string | undefined)[]) {
    this.options = options;
    this.#signer = new CookieSigner(secret);
  }

  /** The sessionkit session ID an import of legacy session `identity` from `source` gets (CookieSigner.deriveId). */
  importedId(source: string, identity: string): string {
    return this.#signer.deriveId(`${source}\0${identity}`);
  }

  verify(cookieHeader: string | undefined): VerifiedSessionCookie | typeof NO_COOKIE | typeof INVALID_COOKIE {
    const value = readCookie(cookieHeader, this.options.name);
    if (value === undefined) return NO_COOKIE;
    const first = this.#verifyValue(value);
    if (first !== INVALID_COOKIE || cookieHeader === undefined) return first;
    // Only when the first does not verify: another cookie of the same name may be the valid one.
    for (const other of readCookies(cookieHeader, this.options.name).slice(1)) {
      const verified = this.#verifyValue(other);
      if (verified !== INVALID_COOKIE) return verified;
    }
    return INVALID_COOKIE;
  }

  #verifyValue(value: string): VerifiedSessionCookie | typeof INVALID_COOKIE {
    const dot = value.lastIndexOf(".");
    const id = dot > 0 ? value.slice(0, dot) : "";
    // The shape check is free and comes first: the keyId is computed only for an ID-shaped value.
    if (!isWellFormedSessionId(id)) return INVALID_COOKIE;
    const keyId = sessionKeyId(id);
    const mac = value.slice(dot + 1);
    let signedWithOldSecret = this.#verified.lookup(keyId, mac);
    if (signedWithOldSecret === undefined) {
      signedWithOldSecret = this.#signer.unsign(value)?.signedWithOldSecret;
      if (signedWithOldSecret === undefined) return INVALID_COOKIE;
      this.#verified.remember(keyId, mac, signedWithOldSecret);
    }
    return { id, keyId, signedWithOldSecret };
  }

  /** Set-Cookie for the session; `maxAgeMs` only for a persistent cookie. */
  issue(id: string, keyId: string, maxAgeMs: number | undefined, secureRequest: boolean): string {
    return serializeSessionCookie(this.options, this.#signedId(id, keyId), maxAgeMs, secureRequest);
  }

  /** Set-Cookie that deletes the session cookie in the browser. */
  clear(secureRequest: boolean): string {
    return serializeClearingCookie(this.options, secureRequest);
  }

  /** "<id>.<mac>" under the current secret; the MAC of a cookie already verified or issued is reused. */
  #signedId(id: string, keyId: string): string {
    const known = this.#verified.currentMac(keyId);
    if (known !== undefined) return `${id}.${known}`;
    const signed = this.#signer.sign(id);
    // The browser sends it back on its next request: remembered now, that request needs no HMAC either.
    this.#verified.remember(keyId, signed.slice(signed.lastIndexOf(".") + 1), false);
    return signed;
  }
}
