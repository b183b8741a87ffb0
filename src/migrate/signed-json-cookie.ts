import { serialize } from "cookie";
import { SessionConfigError } from "../common/errors.js";
import { readCookie } from "../session/cookies/session-cookie.js";
import type { LegacyRequest, LegacySession, LegacySource } from "../session/legacy-source.js";
import { keygripSign, keygripVerify } from "./keygrip.js";

/** Cookie attributes of a legacy cookie the source writes back (as the legacy app set them). */
export interface LegacyCookieOptions {
  path?: string;
  domain?: string;
  /** Default false, as cookie-session's and koa-session's ("auto" is not theirs). */
  secure?: boolean;
  /** Default true. */
  httpOnly?: boolean;
  sameSite?: "lax" | "strict" | "none";
}

/** How one package lays out its session in the cookie. */
export interface SignedJsonCookieFormat {
  source: string;
  name: string;
  keys: readonly string[];
  cookie: LegacyCookieOptions;
  /** The cookie's Max-Age in ms (undefined: a browser-session cookie). */
  maxAgeMs: number | undefined;
  /** The stored JSON object -> the session's data and expiry (null: not a session). */
  unpack(
    body: Record<string, unknown>,
    now: number,
  ): { data: Record<string, unknown>; expiresAt?: number } | null;
  /** The session's data -> the JSON object to store. */
  pack(data: Record<string, unknown>, now: number): Record<string, unknown>;
}

/** A cookie is at most ~4 KB in browsers; a bigger value is not something these packages wrote. */
const MAX_COOKIE_VALUE = 8192;

/**
 * A session kept in the cookie itself as base64 JSON, signed by a `<name>.sig` cookie (keygrip): the
 * layout of cookie-session and of koa-session's default (cookie) mode. The identity of such a session is
 * its signed value: stable while the cookie is not rewritten.
 */
export function signedJsonCookieSource(format: SignedJsonCookieFormat): LegacySource {
  const hasCookie = (request: LegacyRequest) => request.cookieHeader?.includes(`${format.name}=`) === true;
  if (
    !Array.isArray(format.keys) ||
    format.keys.length === 0 ||
    format.keys.some((k) => typeof k !== "string" || k === "")
  ) {
    throw new SessionConfigError(
      `${format.source}: keys must be the legacy app's signing keys (a non-empty list)`,
    );
  }
  const { name, keys } = format;
  const attributes = {
    // As the `cookies` package writes them: the value raw (base64 is a valid cookie value), since the
    // signature covers the raw text.
    encode: (value: string) => value,
    path: format.cookie.path ?? "/",
    httpOnly: format.cookie.httpOnly ?? true,
    ...(format.cookie.domain === undefined ? {} : { domain: format.cookie.domain }),
    ...(format.cookie.secure ? { secure: true } : {}),
    ...(format.cookie.sameSite === undefined ? {} : { sameSite: format.cookie.sameSite }),
  };
  const set = (value: string, maxAgeSeconds?: number): string[] => {
    const signature = keygripSign(`${name}=${value}`, keys[0] as string);
    const lifetime = maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds };
    return [
      serialize(name, value, { ...attributes, ...lifetime }),
      serialize(`${name}.sig`, signature, { ...attributes, ...lifetime }),
    ];
  };
  return {
    name: format.source,
    hasCookie,
    async read(request: LegacyRequest): Promise<LegacySession | null | "invalid"> {
      const value = readCookie(request.cookieHeader, name);
      if (value === undefined || value === "") return null;
      const signature = readCookie(request.cookieHeader, `${name}.sig`);
      if (signature === undefined || value.length > MAX_COOKIE_VALUE) return "invalid";
      if (!keygripVerify(`${name}=${value}`, signature, keys)) return "invalid";
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
      } catch {
        return "invalid";
      }
      if (body === null || typeof body !== "object" || Array.isArray(body)) return "invalid";
      const unpacked = format.unpack(body as Record<string, unknown>, Date.now());
      if (unpacked === null) return null;
      return { identity: value, ...unpacked };
    },
    async write(_request, _current, data) {
      const now = Date.now();
      const body = format.pack(data, now);
      const value = Buffer.from(JSON.stringify(body)).toString("base64");
      const setCookies = set(
        value,
        format.maxAgeMs === undefined ? undefined : Math.floor(format.maxAgeMs / 1000),
      );
      return { session: { identity: value, ...(format.unpack(body, now) ?? { data }) }, setCookies };
    },
    async clear(): Promise<string[]> {
      return [name, `${name}.sig`].map((cookie) => serialize(cookie, "", { ...attributes, maxAge: 0 }));
    },
  };
}
