import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { serialize } from "cookie";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { SessionConfigError } from "../common/errors.js";
import { connectRedis, type RedisOption } from "../redis/connection/connect.js";
import type { RedisConnection } from "../redis/connection/redis-connection.js";
import { withTimeout } from "../redis/with-timeout.js";
import { readCookie } from "../session/cookies/session-cookie.js";
import type { LegacyRequest, LegacySession, LegacySource } from "../session/legacy-source.js";

export interface ExpressSessionSourceOptions {
  /** express-session's `name`. Default "connect.sid". */
  name?: string;
  /** express-session's `secret` (a list: the first signs, all verify). */
  secret: string | readonly string[];
  /** Where connect-redis kept the sessions: a Redis URL or client (the same forms as `redis`). */
  redis: RedisOption;
  /** connect-redis's `prefix`. Default "sess:". */
  prefix?: string;
  /** connect-redis's `ttl` in seconds, for a session whose cookie has no expiry. Default 86 400. */
  ttl?: number;
  /** Every Redis call fails after this long. Default 1000 ms. */
  commandTimeout?: Duration;
  /** express-session's `cookie` settings, for a legacy session created during the migration. */
  cookie?: { path?: string; domain?: string; secure?: boolean; httpOnly?: boolean; maxAge?: number };
}

/** What write() needs to keep of the record it read: express-session's own cookie object. */
interface ExpressSessionState {
  cookie: Record<string, unknown>;
}

const DEFAULT_TTL_SECONDS = 86_400;

/**
 * express-session + connect-redis: the cookie `s:<id>.<HMAC-SHA256 base64, unpadded>` (cookie-signature),
 * the data at `<prefix><id>` as JSON with express-session's `cookie` object beside the app's attributes,
 * a TTL from cookie.expires (or connect-redis's ttl). The identity is the ID.
 */
export function expressSession(
  options: ExpressSessionSourceOptions,
): LegacySource & { close(): Promise<void> } {
  if (options === null || typeof options !== "object")
    throw new SessionConfigError("expressSession: options are required");
  const secrets = (
    typeof options.secret === "string" ? [options.secret] : [...(options.secret ?? [])]
  ).filter((s): s is string => typeof s === "string" && s !== "");
  if (secrets.length === 0)
    throw new SessionConfigError("expressSession: secret must be the legacy app's secret(s)");
  if (options.redis === undefined)
    throw new SessionConfigError("expressSession: redis (where connect-redis kept the sessions) is required");
  const name = options.name ?? "connect.sid";
  const prefix = options.prefix ?? "sess:";
  const ttlSeconds = options.ttl ?? DEFAULT_TTL_SECONDS;
  const timeoutMs = toMilliseconds(options.commandTimeout ?? 1000, "commandTimeout");
  const connection: Promise<RedisConnection> = connectRedis(options.redis, { commandTimeoutMs: timeoutMs });
  connection.catch(() => {});
  const call = async <T>(operation: string, run: (redis: RedisConnection) => Promise<T>): Promise<T> => {
    const redis = await connection;
    return withTimeout(`connect-redis ${operation}`, timeoutMs, () => run(redis), redis.lastError);
  };
  const cookieAttributes = {
    path: options.cookie?.path ?? "/",
    httpOnly: options.cookie?.httpOnly ?? true,
    ...(options.cookie?.domain === undefined ? {} : { domain: options.cookie.domain }),
    ...(options.cookie?.secure ? { secure: true } : {}),
  };

  return {
    name: "express-session",
    hasCookie: (request: LegacyRequest) => request.cookieHeader?.includes(`${name}=`) === true,
    async read(request: LegacyRequest): Promise<LegacySession | null | "invalid"> {
      const value = readCookie(request.cookieHeader, name);
      if (value === undefined) return null;
      const id = value.startsWith("s:") ? unsign(value.slice(2), secrets) : null;
      if (id === null) return "invalid";
      const stored = await call("GET", (redis) => redis.get(prefix + id));
      if (stored === null) return null;
      let body: unknown;
      try {
        body = JSON.parse(stored);
      } catch {
        return null;
      }
      if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
      const { cookie, ...data } = body as Record<string, unknown>;
      const cookieObject =
        cookie !== null && typeof cookie === "object" ? (cookie as Record<string, unknown>) : {};
      const expires =
        typeof cookieObject.expires === "string" ? Date.parse(cookieObject.expires) : Number.NaN;
      const state: ExpressSessionState = { cookie: cookieObject };
      return Number.isFinite(expires)
        ? { identity: id, data, expiresAt: expires, state }
        : { identity: id, data, state };
    },
    async write(_request, current, data) {
      const id = current?.identity ?? randomBytes(24).toString("base64url");
      const maxAge = options.cookie?.maxAge;
      const cookie =
        (current?.state as ExpressSessionState | undefined)?.cookie ??
        (maxAge === undefined
          ? {
              originalMaxAge: null,
              expires: null,
              httpOnly: cookieAttributes.httpOnly,
              path: cookieAttributes.path,
            }
          : {
              originalMaxAge: maxAge,
              expires: new Date(Date.now() + maxAge).toISOString(),
              httpOnly: cookieAttributes.httpOnly,
              path: cookieAttributes.path,
            });
      const expires = typeof cookie.expires === "string" ? Date.parse(cookie.expires) : Number.NaN;
      // connect-redis's TTL rule: the cookie's expiry, else its ttl option. Never a key without one.
      const ttlMs = Number.isFinite(expires) ? Math.max(1000, expires - Date.now()) : ttlSeconds * 1000;
      const json = JSON.stringify({ cookie, ...data });
      await call("SET", (redis) =>
        redis.command(prefix + id, ["SET", prefix + id, json, "PX", String(Math.ceil(ttlMs))]),
      );
      const state: ExpressSessionState = { cookie };
      const session: LegacySession = Number.isFinite(expires)
        ? { identity: id, data, expiresAt: expires, state }
        : { identity: id, data, state };
      if (current !== null) return { session, setCookies: [] };
      const signed = `s:${sign(id, secrets[0] as string)}`;
      const lifetime = maxAge === undefined ? {} : { maxAge: Math.floor(maxAge / 1000) };
      return { session, setCookies: [serialize(name, signed, { ...cookieAttributes, ...lifetime })] };
    },
    async clear(_request, current): Promise<string[]> {
      await call("DEL", (redis) => redis.del(prefix + current.identity));
      return [serialize(name, "", { ...cookieAttributes, maxAge: 0 })];
    },
    async close(): Promise<void> {
      await (await connection).close();
    },
  };
}

/** cookie-signature's sign(): `<value>.<base64 HMAC-SHA256 without padding>`. */
export function sign(value: string, secret: string): string {
  return `${value}.${createHmac("sha256", secret).update(value).digest("base64").replace(/=+$/, "")}`;
}

/** cookie-signature's unsign() over every secret: the value, or null. */
export function unsign(signed: string, secrets: readonly string[]): string | null {
  const dot = signed.lastIndexOf(".");
  if (dot <= 0) return null;
  const value = signed.slice(0, dot);
  const given = Buffer.from(signed);
  for (const secret of secrets) {
    const expected = Buffer.from(sign(value, secret));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return value;
  }
  return null;
}
