import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { SessionStoreError } from "../../common/errors.js";
import type { SessionOptions } from "../../create-session-manager.js";
import type { SetCookie } from "../../session/migration.js";
import type { SessionData, SessionWithData } from "../../session/session.js";
import type { SessionManager } from "../../session/session-manager.js";
import { commitFailureResponse } from "../common/commit-failure.js";
import { type AdapterHandle, defineAdapter } from "../common/define-adapter.js";

// The root entry's declarations load with this subpath's, so `declare module "sessionkit" { interface
// SessionData {...} }` in a file that imports only this subpath finds the module (TS2664 otherwise).
export type {} from "../../index.js";

/**
 * The context variables the middleware sets: `new Hono<SessionEnv>()` types `c.get("session")`.
 * Combine with your own: `new Hono<{ Variables: SessionEnv["Variables"] & { user: User } }>()`.
 */
export interface SessionEnv<Data = SessionData> {
  Variables: { session: SessionWithData<Data> };
}

export interface HonoSessionMiddleware<Data = SessionData>
  extends MiddlewareHandler<SessionEnv<Data>>,
    AdapterHandle {}

/**
 * Hono middleware (on Node): `app.use(session({ redis: process.env.REDIS_URL, secret }))`, then
 * `c.get("session")`. Commits after `await next()`, before the response is handed back to Hono, so it
 * leaves with its Set-Cookie and after the write has landed. Error responses (from `app.onError`) are
 * committed like any other.
 *
 * Under the fail-closed policy a Redis failure while loading is thrown as an `HTTPException` 503 (its
 * `cause` is the SessionStoreError), which Hono answers as 503 unless `app.onError` does otherwise. When
 * the commit fails, the handler's response is replaced by a plain 503.
 */
export function session<Data = SessionData>(
  options: SessionOptions | SessionManager,
): HonoSessionMiddleware<Data> {
  return defineAdapter(
    options,
    (manager): MiddlewareHandler<SessionEnv<Data>> =>
      async (c, next) => {
        let current: SessionWithData;
        try {
          current = await manager.load({
            cookieHeader: c.req.header("cookie"),
            secure: c.req.url.startsWith("https:"),
            // The client IP is runtime-specific in Hono (getConnInfo per adapter): only the User-Agent here.
            userAgent: c.req.header("user-agent"),
          });
        } catch (error) {
          if (!(error instanceof SessionStoreError)) throw error;
          throw new HTTPException(503, { message: "the session store is not answering", cause: error });
        }
        c.set("session", current as SessionWithData<Data>);
        await next();
        let setCookie: SetCookie | undefined;
        try {
          // c.set("session", null) logs the session out.
          setCookie = await (c.get("session") == null
            ? manager.commitEnded(current)
            : manager.commit(current));
        } catch (error) {
          await replaceWithFailure(c, error);
          return;
        }
        // c.header copies a finalized response whose headers are immutable (Response.redirect, fetch).
        if (setCookie !== undefined) {
          for (const value of [setCookie].flat()) c.header("set-cookie", value, { append: true });
        }
      },
  );
}

async function replaceWithFailure(c: Context, error: unknown): Promise<void> {
  const failure = commitFailureResponse(error);
  await c.res.body?.cancel().catch(() => {});
  // Setting c.res merges the previous response's headers into the new one; a Location or cookie of a
  // login that was not stored must not leave, so the old response is dropped first.
  c.res = undefined;
  c.res = new Response(failure.body, { status: failure.status, headers: failure.headers });
}

export type { SessionOptions };
