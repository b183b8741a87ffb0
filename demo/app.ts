import express, { type Request, type Response } from "express";
import type { ExpressSessionMiddleware } from "../src/adapters/express/index.js";
import { createSessionAdmin, type SessionAdmin } from "../src/admin/index.js";
import type { SessionEvent } from "../src/session/session-events.js";
import type { SessionManager } from "../src/session/session-manager.js";
import { adminRoutes, type DemoAdminOptions } from "./admin.js";

declare module "../src/index.js" {
  interface SessionData {
    user: string;
  }
}

const MAX_DELAY_MS = 10_000;
const EVENTS_SHOWN = 50;

/** The latest session events this instance heard (broadcast subscription), for GET /api/events. */
export interface EventFeed {
  latest(): SessionEvent[];
  stop(): Promise<void>;
}

export function watchEvents(manager: SessionManager): EventFeed | undefined {
  if (!manager.events) return undefined;
  const seen: SessionEvent[] = [];
  const subscription = manager.events.subscribe((event) => {
    seen.unshift(event);
    seen.length = Math.min(seen.length, EVENTS_SHOWN);
  });
  return { latest: () => [...seen], stop: () => subscription.stop() };
}

/**
 * The session playground. Its HTTP contract is relied on by tests and tools (README "The demo"):
 * POST /login, POST /logout, GET /api/session, PATCH /api/session[?delay=MS].
 */
export function createDemoApp(
  sessions: ExpressSessionMiddleware,
  /** Where the demo keeps sessions, shown on the page ("redis://127.0.0.1:6379", "memory"). */
  storeLabel: string,
  events?: EventFeed,
  /** The dashboard at /admin and GET /metrics (demo/admin.ts); absent, neither is served. */
  adminOptions?: DemoAdminOptions,
): express.Express {
  // The admin API over the app's own store: its connection, its timeouts (rule 20: no client of our own).
  const admin = createSessionAdmin({ store: sessions.manager.store });
  const app = express();
  app.disable("x-powered-by");
  if (adminOptions) app.use(adminRoutes(sessions, adminOptions));
  app.use(express.json({ limit: "64kb" }));
  app.use(express.urlencoded({ extended: false, limit: "16kb" }));
  app.use(sessions);

  app.get("/", async (req, res) => {
    res.type("html").send(renderPage(await describe(req, admin), storeLabel));
  });

  app.post("/login", async (req, res) => {
    const user = typeof req.body?.user === "string" ? req.body.user.trim() : "";
    if (user === "" || user.length > 100) {
      res.status(400).json({ error: "user must be a non-empty string of at most 100 characters" });
      return;
    }
    // Logs the session in: a new ID in the user's slot, indexed under the user ("your devices").
    await req.session.setPrincipal(user);
    req.session.user = user;
    res.redirect(303, "/");
  });

  app.post("/logout", async (req, res) => {
    await req.session.destroy();
    res.redirect(303, "/");
  });

  app.get("/api/session", async (req, res) => {
    res.json(await describe(req, admin));
  });

  app.patch("/api/session", async (req, res) => {
    const body: unknown = req.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      res.status(400).json({ error: "body must be a JSON object of attributes (null removes one)" });
      return;
    }
    const delayMs = Number(req.query.delay ?? 0);
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
      res.status(400).json({ error: `delay must be an integer between 0 and ${MAX_DELAY_MS} ms` });
      return;
    }
    // The wait sits between load and change, to show what overlapping requests do to each other.
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const data = req.session as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(body)) {
      if (value === null) delete data[name];
      else data[name] = value;
    }
    res.json({ data: { ...req.session } });
  });

  app.get("/api/devices", async (req, res) => {
    const user = req.session.meta.principal;
    if (user === undefined) {
      res.status(401).json({ error: "log in to see your devices" });
      return;
    }
    const devices = await sessions.manager.listSessions(user, req.session);
    res.json({
      devices: devices.map((d) => ({
        ...d,
        createdAt: new Date(d.createdAt).toISOString(),
        lastAccessAt: new Date(d.lastAccessAt).toISOString(),
        idleDeadline: new Date(d.idleDeadline).toISOString(),
        absoluteDeadline: new Date(d.absoluteDeadline).toISOString(),
      })),
    });
  });

  app.post("/api/devices/revoke", async (req, res) => {
    const user = req.session.meta.principal;
    if (user === undefined) {
      res.status(401).json({ error: "log in to revoke sessions" });
      return;
    }
    const body = (req.body ?? {}) as { handle?: unknown; all?: unknown; exceptCurrent?: unknown };
    if (typeof body.handle === "string" && body.handle.length > 0 && body.handle.length <= 64) {
      res.json({ revoked: (await sessions.manager.revokeSession(user, body.handle)) ? 1 : 0 });
    } else if (body.all === true) {
      const options = body.exceptCurrent === true ? { except: req.session } : {};
      res.json({ revoked: await sessions.manager.revokeAllSessions(user, options) });
    } else {
      res
        .status(400)
        .json({ error: 'body must be { "handle": "..." } or { "all": true, "exceptCurrent": true|false }' });
    }
  });

  app.get("/api/events", (_req, res) => {
    res.json({ events: events?.latest() ?? [], enabled: events !== undefined });
  });

  app.use(
    (error: Error & { status?: number; code?: string }, _req: Request, res: Response, _next: unknown) => {
      res.status(error.status ?? 500).json({ error: error.message, code: error.code });
    },
  );
  return app;
}

/** The record's location and remaining TTL come from the admin API (rule 20: no client of our own). */
async function describe(req: Request, admin: SessionAdmin) {
  const meta = req.session.meta;
  const stored = meta.isNew ? { location: "(not stored yet)", ttlMs: -2 } : await admin.locate(meta.keyId);
  return {
    data: { ...req.session },
    meta: {
      isNew: meta.isNew,
      keyId: meta.keyId,
      // The name of keyId before 0.2, kept in the demo's JSON contract.
      keyHash: meta.keyId,
      redisKey: stored.location,
      ttlMs: stored.ttlMs,
      createdAt: new Date(meta.createdAt).toISOString(),
      lastAccessAt: new Date(meta.lastAccessAt).toISOString(),
      idleDeadline: new Date(meta.idleDeadline).toISOString(),
      absoluteDeadline: new Date(meta.absoluteDeadline).toISOString(),
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderPage(state: Awaited<ReturnType<typeof describe>>, storeLabel: string): string {
  const user = typeof state.data.user === "string" ? state.data.user : undefined;
  const json = escapeHtml(JSON.stringify(state, null, 2));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sessionkit playground</title>
<style>body{font:15px system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:1rem;overflow:auto}form{display:inline-block;margin:0 1rem 1rem 0}
input,button{font:inherit;padding:.3rem .6rem}</style></head>
<body>
<h1>sessionkit playground</h1>
<p>Store: <code>${escapeHtml(storeLabel)}</code>. ${user ? `Logged in as <strong>${escapeHtml(user)}</strong>.` : "Anonymous."}</p>
<form method="post" action="/login"><input name="user" placeholder="user name" required maxlength="100"> <button>Log in (regenerates the ID)</button></form>
<form method="post" action="/logout"><button>Log out (destroys the session)</button></form>
<form id="set"><input name="name" placeholder="attribute" required> <input name="value" placeholder="JSON value, empty removes"> <button>Set attribute</button></form>
<h2>Session</h2>
<pre id="state">${json}</pre>
<h2>Your devices</h2>
<div id="devices">${user ? "loading..." : "Log in to see the sessions of your user."}</div>
${user ? '<button id="revoke-others">Log out my other devices</button> <button id="revoke-all">Log out everywhere</button>' : ""}
<h2>Events</h2>
<pre id="events">loading...</pre>
<script>
document.getElementById("set").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const raw = String(form.get("value") ?? "");
  let value = null;
  if (raw !== "") { try { value = JSON.parse(raw); } catch { value = raw; } }
  await fetch("/api/session", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ [form.get("name")]: value }) });
  location.reload();
});
async function post(url, body) {
  await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  location.reload();
}
function text(value) { const span = document.createElement("span"); span.textContent = value; return span; }
async function showDevices() {
  const box = document.getElementById("devices");
  const response = await fetch("/api/devices");
  if (!response.ok) return;
  const { devices } = await response.json();
  box.textContent = "";
  for (const device of devices) {
    const row = document.createElement("div");
    row.append(text((device.current ? "this device - " : "") + (device.userAgent ?? "unknown browser") + " - last seen " + device.lastAccessAt + " "));
    if (!device.current) {
      const button = document.createElement("button");
      button.textContent = "Revoke";
      button.onclick = () => post("/api/devices/revoke", { handle: device.handle });
      row.append(button);
    }
    box.append(row);
  }
}
async function showEvents() {
  const { events, enabled } = await (await fetch("/api/events")).json();
  document.getElementById("events").textContent = enabled
    ? events.map((e) => new Date(e.at).toISOString() + " " + e.type + (e.reason ? " (" + e.reason + ")" : "") + " " + (e.principal ?? "") + " " + e.keyId.slice(-12)).join("\\n") || "no events yet"
    : "events are off (MemoryStore)";
}
document.getElementById("revoke-others")?.addEventListener("click", () => post("/api/devices/revoke", { all: true, exceptCurrent: true }));
document.getElementById("revoke-all")?.addEventListener("click", () => post("/api/devices/revoke", { all: true, exceptCurrent: false }));
showDevices();
showEvents();
setInterval(showEvents, 2000);
</script>
</body></html>`;
}
