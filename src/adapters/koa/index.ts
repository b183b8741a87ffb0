import type { Context, Middleware, Next } from "koa";
import type { SessionOptions } from "../../create-session-manager.js";
import type { SetCookie } from "../../session/migration.js";
import type { SessionWithData } from "../../session/session.js";
import type { SessionManager } from "../../session/session-manager.js";
import { commitFailureResponse } from "../common/commit-failure.js";
import { type AdapterHandle, defineAdapter } from "../common/define-adapter.js";

// The root entry's declarations load with this subpath's, so `declare module "sessionkit" { interface
// SessionData {...} }` in a file that imports only this subpath finds the module (TS2664 otherwise).
export type {} from "../../index.js";

declare module "koa" {
  interface DefaultContext {
    /**
     * The request's session (sessionkit). Type attributes by augmenting `SessionData` in "sessionkit".
     * `ctx.session = null` destroys it (koa-session's logout).
     */
    session: SessionWithData;
  }
}

export interface KoaSessionMiddleware extends Middleware, AdapterHandle {}

/**
 * Koa middleware: `app.use(session({ redis: process.env.REDIS_URL, secret }))`, then `ctx.session`.
 * Koa writes the response only after the whole middleware chain has settled, so committing after
 * `await next()` lands the write before the first byte leaves.
 *
 * A handler that throws still has its session committed, and the Set-Cookie rides on the error (Koa's
 * error handler drops every header except `err.headers`): the same as Express, where the error page
 * carries the cookie. Under the fail-closed policy a Redis failure while loading is thrown with `status`
 * 503, which Koa answers as 503. When the commit fails, the response becomes a plain 503.
 */
export function session(options: SessionOptions | SessionManager): KoaSessionMiddleware {
  return defineAdapter(options, (manager) => async (ctx: Context, next: Next): Promise<void> => {
    const current = await manager.load({
      cookieHeader: ctx.get("cookie") || undefined,
      secure: ctx.secure,
      userAgent: ctx.get("user-agent") || undefined,
      ip: ctx.ip,
    });
    ctx.session = current;
    try {
      await next();
    } catch (error) {
      // The handler's error wins over a commit failure: it says what went wrong first.
      // A commit failure here is reported by the manager; the handler's error is the answer.
      const setCookie = await commitOf(manager, ctx, current).catch(() => undefined);
      if (setCookie !== undefined) carryCookie(error, setCookie);
      throw error;
    }
    let setCookie: SetCookie | undefined;
    try {
      setCookie = await commitOf(manager, ctx, current);
    } catch (error) {
      replaceWithFailure(ctx, error);
      return;
    }
    if (setCookie !== undefined) ctx.append("Set-Cookie", setCookie);
  });
}

/** koa-session's documented logout, `ctx.session = null`, destroys the session. */
function commitOf(
  manager: SessionManager,
  ctx: Context,
  current: SessionWithData,
): Promise<SetCookie | undefined> {
  return ctx.session == null ? manager.commitEnded(current) : manager.commit(current);
}

/** Adds the cookie to `err.headers`, the only headers Koa's ctx.onerror keeps. */
function carryCookie(error: unknown, setCookie: SetCookie): void {
  if (error === null || typeof error !== "object") return;
  const carrier = error as { headers?: Record<string, string | string[]> };
  const headers = { ...carrier.headers };
  const existing = headers["Set-Cookie"] ?? [];
  headers["Set-Cookie"] = [...(Array.isArray(existing) ? existing : [existing]), setCookie].flat();
  carrier.headers = headers;
}

function replaceWithFailure(ctx: Context, error: unknown): void {
  const failure = commitFailureResponse(error);
  // Assigning a new body destroys a stream body Koa was about to pipe.
  for (const name of Object.keys(ctx.response.headers)) ctx.remove(name);
  ctx.status = failure.status;
  ctx.set(failure.headers);
  ctx.body = failure.body;
}

export type { SessionOptions };
