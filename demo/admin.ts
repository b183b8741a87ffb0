import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import express from "express";
import { Registry } from "prom-client";
import type { ExpressSessionMiddleware } from "../src/adapters/express/index.js";
import { createSessionAdmin } from "../src/admin/index.js";
import { createDashboard, expressDashboard } from "../src/dashboard/index.js";
import { registerMetrics } from "../src/metrics/index.js";

export interface DemoAdminOptions {
  /** Accepted as `Authorization: Bearer <token>`, or typed into the login form at /admin-login. */
  token: string;
  /** The app's secret(s): the dashboard finds a session by its cookie value. */
  secret: string | readonly string[];
  /** The login form's cookie (per port: browsers keep cookies per host, not per port). */
  cookieName: string;
  idleTimeout?: string;
}

/**
 * The demo's operator side: the dashboard at /admin behind ADMIN_TOKEN, its login form, and GET /metrics.
 * The login cookie holds an HMAC of the token, never the token itself.
 */
export function adminRoutes(sessions: ExpressSessionMiddleware, options: DemoAdminOptions): express.Router {
  const router = express.Router();
  const proof = createHmac("sha256", options.token).update("sessionkit demo admin").digest("base64url");
  const authorize = (req: IncomingMessage) => {
    const header = req.headers.authorization ?? "";
    if (header.startsWith("Bearer ") && same(header.slice(7), options.token)) return true;
    return same(cookieOf(req, options.cookieName) ?? "", proof);
  };
  const dashboard = createDashboard({
    admin: createSessionAdmin({ store: sessions.manager.store, secret: options.secret }),
    authorize,
    basePath: "/admin",
    loginPath: "/admin-login",
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
  });
  router.use(expressDashboard(dashboard));

  router.get("/admin-login", (_req, res) => {
    res.type("html").send(loginPage(""));
  });
  router.post("/admin-login", express.urlencoded({ extended: false, limit: "4kb" }), (req, res) => {
    const token = typeof req.body?.token === "string" ? req.body.token : "";
    if (!same(token, options.token)) {
      res.status(401).type("html").send(loginPage("Wrong token."));
      return;
    }
    res.cookie(options.cookieName, proof, { httpOnly: true, sameSite: "strict", path: "/admin" });
    res.redirect(303, "/admin/");
  });

  const registry = new Registry();
  registerMetrics(sessions.manager, { registry, gaugeInterval: "30s" });
  router.get("/metrics", async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

function loginPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sessionkit dashboard login</title></head>
<body style="font:15px system-ui,sans-serif;max-width:30rem;margin:3rem auto">
<h1>sessionkit dashboard</h1><p>${message}</p>
<form method="post" action="/admin-login"><label>Admin token <input name="token" type="password" required autofocus></label>
<button>Log in</button></form></body></html>`;
}
