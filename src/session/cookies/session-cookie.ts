import { parse, serialize } from "cookie";
import { SessionConfigError } from "../../common/errors.js";
import type { SessionCookieOptions } from "../session-options.js";

export interface ResolvedCookieOptions {
  name: string;
  path: string;
  domain: string | undefined;
  secure: boolean | "auto";
  httpOnly: boolean;
  sameSite: "lax" | "strict" | "none";
  persistent: boolean;
}

export function resolveCookieOptions(options: SessionCookieOptions = {}): ResolvedCookieOptions {
  const sameSite = options.sameSite ?? "lax";
  // Browsers drop a SameSite=None cookie that is not Secure: "auto" over http would lose every session.
  if (sameSite === "none" && options.secure === false) {
    throw new SessionConfigError('cookie.sameSite "none" needs a Secure cookie: browsers drop it otherwise');
  }
  return {
    name: options.name ?? "sid",
    path: options.path ?? "/",
    domain: options.domain,
    secure: sameSite === "none" ? true : (options.secure ?? "auto"),
    httpOnly: options.httpOnly ?? true,
    sameSite,
    persistent: options.persistent ?? true,
  };
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || !header.includes(name)) return undefined;
  return parse(header)[name];
}

/**
 * Every value the header carries for `name`, in order. A browser sends two cookies of one name when they
 * were set for different paths or domains (a stale one beside a fresh one); the `cookie` library keeps
 * only the first.
 */
export function readCookies(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const raw = pair.slice(eq + 1).trim();
    const value = raw.length > 1 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    try {
      values.push(decodeURIComponent(value));
    } catch {
      values.push(value);
    }
  }
  return values;
}

/** Set-Cookie value for a signed session ID; maxAgeMs only for persistent cookies. */
export function serializeSessionCookie(
  options: ResolvedCookieOptions,
  signedValue: string,
  maxAgeMs: number | undefined,
  secureRequest: boolean,
): string {
  const secure = options.secure === "auto" ? secureRequest : options.secure;
  const maxAge = maxAgeMs === undefined ? undefined : Math.max(0, Math.floor(maxAgeMs / 1000));
  const parts = cookieParts(options);
  // A signed session ID is base64url and ".": nothing to encode or check. Anything else takes the
  // library's checks (and its errors).
  if (parts !== null && SIGNED_VALUE.test(signedValue)) {
    const tail = secure ? parts.secureTail : parts.tail;
    return maxAge === undefined
      ? `${parts.head}${signedValue}${tail}`
      : `${parts.head}${signedValue}; Max-Age=${maxAge}${tail}`;
  }
  return serialize(options.name, signedValue, {
    path: options.path,
    domain: options.domain,
    secure,
    httpOnly: options.httpOnly,
    sameSite: options.sameSite,
    maxAge,
  });
}

const SIGNED_VALUE = /^[A-Za-z0-9_.-]+$/;
const PROBE_VALUE = "probe";

interface CookieParts {
  /** `<name>=` */
  head: string;
  /** What follows the value (and Max-Age), without and with Secure. */
  tail: string;
  secureTail: string;
}

/**
 * The fixed parts of the session cookie, taken once per options object from the cookie library's own
 * output (so attribute order and validation stay the library's). null: options the library refuses,
 * which then fail on every call as before.
 */
const partsCache = new WeakMap<ResolvedCookieOptions, CookieParts | null>();

function cookieParts(options: ResolvedCookieOptions): CookieParts | null {
  let parts = partsCache.get(options);
  if (parts !== undefined) return parts;
  try {
    const probe = (secure: boolean) =>
      serialize(options.name, PROBE_VALUE, {
        path: options.path,
        domain: options.domain,
        secure,
        httpOnly: options.httpOnly,
        sameSite: options.sameSite,
      });
    const head = `${options.name}=`;
    const insecure = probe(false);
    const secure = probe(true);
    parts = {
      head,
      tail: insecure.slice(head.length + PROBE_VALUE.length),
      secureTail: secure.slice(head.length + PROBE_VALUE.length),
    };
    // Max-Age is the first attribute the library writes, right after the value.
    const withMaxAge = serialize(options.name, PROBE_VALUE, {
      path: options.path,
      domain: options.domain,
      httpOnly: options.httpOnly,
      sameSite: options.sameSite,
      maxAge: 1,
    });
    if (withMaxAge !== `${head}${PROBE_VALUE}; Max-Age=1${parts.tail}`) parts = null;
  } catch {
    parts = null;
  }
  partsCache.set(options, parts);
  return parts;
}

export function serializeClearingCookie(options: ResolvedCookieOptions, secureRequest: boolean): string {
  return serialize(options.name, "", {
    path: options.path,
    domain: options.domain,
    secure: options.secure === "auto" ? secureRequest : options.secure,
    httpOnly: options.httpOnly,
    sameSite: options.sameSite,
    maxAge: 0,
    expires: new Date(0),
  });
}
