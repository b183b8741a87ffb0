import type { StoredSession } from "./types.js";

/** connect-redis's default when the cookie has no expiry (a browser-session cookie): one day. */
export const DEFAULT_TTL_SECONDS = 86_400;

/** Seconds, or a function of the session (connect-redis's `ttl` option). */
export type TtlOption = number | ((session: StoredSession) => number);

/**
 * Time to live of a record in ms: the option's function when given, else until the cookie expires,
 * else the option's number. Never missing: an expiry that does not parse (connect-redis#346: NaN TTLs)
 * falls back to the default instead of writing a key without a TTL or failing the request.
 */
export function sessionTtlMs(session: StoredSession, ttl: TtlOption, now: number): number {
  const fallbackMs = (typeof ttl === "number" ? ttl : DEFAULT_TTL_SECONDS) * 1000;
  if (typeof ttl === "function") {
    const seconds = ttl(session);
    return Number.isFinite(seconds) ? seconds * 1000 : fallbackMs;
  }
  const expires = session.cookie?.expires;
  if (expires === undefined || expires === null) return fallbackMs;
  const ms = new Date(expires).getTime() - now;
  return Number.isFinite(ms) ? ms : fallbackMs;
}
