import { createServer } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import expressSession, { type Session as ExpressSession, type Store } from "express-session";
import { type Client as ClientType, socketTransport } from "../adapters/client.js";
import { TEST_SECRET } from "../support/browser.js";

/** express-session's req.session. Typed here: sessionkit's Express adapter types req.session its own way. */
export type ExpressSessionObject = ExpressSession & Record<string, unknown>;
const sessionOf = (req: Request) => req.session as unknown as ExpressSessionObject;

export const COOKIE_MAX_AGE_MS = 60_000;

/** A session as express-session hands it to a store, for calling the store directly. */
export function storedSession(
  data: Record<string, unknown> = {},
  maxAgeMs: number | null = COOKIE_MAX_AGE_MS,
) {
  return {
    cookie: {
      originalMaxAge: maxAgeMs,
      expires: maxAgeMs === null ? null : new Date(Date.now() + maxAgeMs).toISOString(),
      httpOnly: true,
      path: "/",
    },
    ...data,
  };
}

/**
 * An app on express-session's own middleware with the recommended settings, and the same routes as the
 * adapter contract app (connect.sid cookie): GET /session, POST /login?user=, POST /logout,
 * POST /set?delay=&k=v.
 */
export async function startExpressSessionApp(store: Store) {
  const app = express();
  app.use(
    expressSession({
      store,
      secret: TEST_SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: COOKIE_MAX_AGE_MS },
    }),
  );
  app.get("/session", (req, res) => {
    const { cookie: _cookie, ...data } = sessionOf(req);
    res.json({ data, sid: req.sessionID });
  });
  app.post("/login", (req, res, next) => {
    const user = String(req.query.user);
    sessionOf(req).regenerate((error) => {
      if (error) return next(error);
      sessionOf(req).user = user;
      res.redirect(303, "/session");
    });
  });
  app.post("/logout", (req, res, next) => {
    sessionOf(req).destroy((error) => (error ? next(error) : res.redirect(303, "/session")));
  });
  app.post("/set", async (req, res) => {
    const delayMs = Number(req.query.delay ?? 0);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    for (const [name, value] of Object.entries(req.query)) if (name !== "delay") sessionOf(req)[name] = value;
    res.json({ ok: true });
  });
  app.use((error: { status?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(error.status ?? 500).json({ code: error.code });
  });
  return socketTransport(createServer(app));
}

/** The session ID inside express-session's signed cookie ("s:<sid>.<mac>", URL-encoded). */
export function sidOf(client: ClientType): string {
  const value = decodeURIComponent(client.cookies.get("connect.sid") ?? "");
  return value.slice(2, value.lastIndexOf("."));
}
