import { SessionConfigError } from "../common/errors.js";
import type { LegacySource } from "../session/legacy-source.js";
import { type LegacyCookieOptions, signedJsonCookieSource } from "./signed-json-cookie.js";

export interface CookieSessionSourceOptions extends LegacyCookieOptions {
  /** The cookie name the app gave cookie-session. Default "session", as cookie-session's. */
  name?: string;
  /** The app's cookie-session `keys` (or `[secret]`): the first signs, all verify. */
  keys: readonly string[];
  /** cookie-session's `maxAge` in ms, so a cookie written back keeps the app's lifetime. */
  maxAge?: number;
}

/** The `cookie-session` package's sessions (Express): base64 JSON in the cookie, `<name>.sig` beside it. */
export function cookieSession(options: CookieSessionSourceOptions): LegacySource {
  if (options === null || typeof options !== "object")
    throw new SessionConfigError("cookieSession: options are required");
  return signedJsonCookieSource({
    source: "cookie-session",
    name: options.name ?? "session",
    keys: options.keys,
    cookie: options,
    maxAgeMs: options.maxAge,
    // cookie-session keeps no expiry in the body: the cookie's own lifetime is the session's.
    unpack: (body) => ({ data: body }),
    pack: (data) => data,
  });
}

export interface KoaSessionSourceOptions extends LegacyCookieOptions {
  /** koa-session's `key`. Default "koa.sess". */
  key?: string;
  /** The Koa app's `app.keys`: the first signs, all verify. */
  keys: readonly string[];
  /** koa-session's `maxAge` in ms, or "session". Default 86 400 000 (one day), as koa-session's. */
  maxAge?: number | "session";
}

const KOA_DEFAULT_MAX_AGE = 86_400_000;

/** koa-session's default (cookie) mode: base64 JSON with `_expire` and `_maxAge`, `<key>.sig` beside it. */
export function koaSession(options: KoaSessionSourceOptions): LegacySource {
  if (options === null || typeof options !== "object")
    throw new SessionConfigError("koaSession: options are required");
  const maxAge = options.maxAge ?? KOA_DEFAULT_MAX_AGE;
  return signedJsonCookieSource({
    source: "koa-session",
    name: options.key ?? "koa.sess",
    keys: options.keys,
    cookie: options,
    maxAgeMs: maxAge === "session" ? undefined : maxAge,
    unpack: (body, now) => {
      const { _expire, _maxAge, _session, ...data } = body;
      // koa-session itself refuses a body past its _expire.
      if (typeof _expire === "number" && _expire <= now) return null;
      return typeof _expire === "number" ? { data, expiresAt: _expire } : { data };
    },
    pack: (data, now) =>
      maxAge === "session"
        ? { ...data, _session: true }
        : { ...data, _expire: now + maxAge, _maxAge: maxAge },
  });
}
