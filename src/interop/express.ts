import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseCookies } from "cookie";
import type { Duration } from "../common/duration.js";
import type { MountableSessions } from "./foreign-sessions.js";
import { defineOwn, type ForeignSessionData } from "./foreign-value.js";

export interface ForeignSessionMiddlewareOptions {
  /** TTL of the writes; default the format's. */
  ttl?: Duration;
  /** Create a session (and set the framework's cookie) when a request without one stores something. Default true. */
  create?: boolean;
  /** Cookie attributes for a session Node creates. Default path "/", HttpOnly, SameSite=Lax. */
  cookie?: { path?: string; secure?: boolean; sameSite?: "Lax" | "Strict" | "None"; domain?: string };
}

/** What the middleware adds beside `req.session`. */
export interface ForeignSessionHandle {
  /** The framework's session ID (its cookie value), or undefined while there is none. */
  readonly id: string | undefined;
  /** Ends the session in Redis when the response is sent (the other app sees it logged out). */
  destroy(): void;
}

type ForeignRequest = IncomingMessage & {
  session?: ForeignSessionData;
  foreignSession?: ForeignSessionHandle;
};

/**
 * Express (or any node:http-style) middleware: the Rails, Django, PHP or Spring session of the request's cookie
 * becomes `req.session`, a plain object of its attributes, and `req.foreignSession` its handle. Before
 * the response ends, the attributes Node set, changed (deep changes included) or deleted are written
 * with compare-and-set, on top of whatever the other app wrote meanwhile; nothing is written when
 * nothing changed. A response streamed with res.write() before end() has sent its headers already, so
 * a session that Node creates there gets no cookie.
 */
export function foreignSession(
  sessions: MountableSessions,
  options: ForeignSessionMiddlewareOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const { format } = sessions;
  const fingerprint = (value: unknown): string => {
    try {
      return JSON.stringify(describe(format.fromValue(value)));
    } catch {
      return `unwritable:${Math.random()}`;
    }
  };
  return (req, res, next) => {
    const request = req as ForeignRequest;
    const cookieId = parseCookies(req.headers.cookie ?? "")[format.cookieName];
    let id = cookieId !== undefined && format.keyFor(cookieId) !== undefined ? cookieId : undefined;
    let destroyed = false;
    sessions.get(id ?? "").then(
      (data) => {
        if (!data) id = undefined;
        const session = data ?? (Object.create(null) as ForeignSessionData);
        const before = new Map<string, string>();
        for (const name of Object.keys(session)) before.set(name, fingerprint(session[name]));
        request.session = session;
        request.foreignSession = {
          get id() {
            return id;
          },
          destroy() {
            destroyed = true;
          },
        };
        const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
        let ending = false;
        res.end = ((...args: unknown[]) => {
          if (ending) return res;
          ending = true;
          // The route may have replaced req.session (or set it to null: the session ends).
          commit(request.session, before).then(
            () => end(...args),
            (error: unknown) => {
              res.statusCode = 503;
              end(`session write failed: ${(error as Error).message}`);
            },
          );
          return res;
        }) as typeof res.end;
        next();
      },
      (error: unknown) => next(error),
    );

    const commit = async (session: ForeignSessionData | null | undefined, before: Map<string, string>) => {
      if (destroyed || session === null || session === undefined) {
        if (id !== undefined) await sessions.destroy(id);
        return;
      }
      const changes: Record<string, unknown> = Object.create(null);
      let changed = false;
      for (const name of before.keys()) {
        if (!Object.hasOwn(session, name)) {
          defineOwn(changes, name, undefined);
          changed = true;
        }
      }
      for (const name of Object.keys(session)) {
        if (before.get(name) !== fingerprint(session[name])) {
          defineOwn(changes, name, session[name]);
          changed = true;
        }
      }
      // Spring marks a session accessed on every request, so its idle timeout counts Node's requests too.
      if (!changed) {
        if (id !== undefined && sessions.touch) await sessions.touch(id);
        return;
      }
      const ttl = options.ttl === undefined ? {} : { ttl: options.ttl };
      if (id !== undefined && (await sessions.update(id, changes, ttl))) return;
      // No session (or it ended meanwhile: then this request's changes start a new one, as Rails does).
      if (options.create === false || res.headersSent) return;
      const fresh = Object.create(null) as ForeignSessionData;
      for (const [name, value] of Object.entries(changes))
        if (value !== undefined) defineOwn(fresh, name, value);
      id = await sessions.create(fresh, ttl);
      res.appendHeader("Set-Cookie", cookieHeader(format.cookieName, id, options.cookie));
    };
  };
}

function cookieHeader(
  name: string,
  value: string,
  cookie: ForeignSessionMiddlewareOptions["cookie"] = {},
): string {
  const parts = [
    `${name}=${value}`,
    `Path=${cookie.path ?? "/"}`,
    "HttpOnly",
    `SameSite=${cookie.sameSite ?? "Lax"}`,
  ];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.secure) parts.push("Secure");
  return parts.join("; ");
}

/** A node (Marshal or pickle) as JSON-able data, to compare an attribute before and after the request. */
function describe(node: unknown, seen = new Map<object, number>()): unknown {
  if (typeof node === "bigint") return `${node}n`;
  if (typeof node === "number")
    return Object.is(node, -0) ? "-0" : Number.isFinite(node) ? node : String(node);
  if (node === null || typeof node !== "object") return node;
  const index = seen.get(node);
  if (index !== undefined) return { $ref: index };
  seen.set(node, seen.size);
  if (node instanceof Uint8Array) return Buffer.from(node).toString("hex");
  if (Array.isArray(node)) return node.map((item) => describe(item, seen));
  return Object.entries(node).map(([key, value]) => [key, describe(value, seen)]);
}
