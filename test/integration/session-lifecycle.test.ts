import { createServer } from "node:http";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExpressSessionMiddleware, session } from "../../src/adapters/express/index.js";
import type { SessionOptions } from "../../src/create-session-manager.js";
import type { RedisStore } from "../../src/redis/redis-session-store.js";
import { sessionKeyId } from "../../src/session/session-id.js";
import { type RedisServerHandle, startRedisServer } from "../../tools/redis-harness/redis-server.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";
import { readField } from "../support/records.js";

declare module "../../src/index.js" {
  interface SessionData {
    user: string;
    cart: { items: string[] };
    visits: number;
  }
}

const MINUTE = 60_000;
const IDLE_MS = 30 * MINUTE;
const ABSOLUTE_MS = 8 * 60 * MINUTE;
const TOUCH_AFTER_MS = 5 * MINUTE;

/** A minimal app whose routes touch Redis only through the session layer. */
function createTestApp(sessions: ExpressSessionMiddleware) {
  const app = express();
  app.use(sessions);
  app.get("/read", (req, res) => {
    res.json({ user: req.session.user ?? null });
  });
  app.get("/noop", (_req, res) => {
    res.send("ok");
  });
  app.post("/login", async (req, res) => {
    await req.session.regenerate();
    req.session.user = String(req.query.user ?? "someone");
    req.session.cart = { items: [] };
    res.redirect(303, "/read");
  });
  app.post("/cart", (req, res) => {
    req.session.cart?.items.push(String(req.query.item));
    res.json(req.session.cart);
  });
  app.post("/save-then-change", async (req, res) => {
    req.session.visits = 1;
    await req.session.save();
    req.session.visits = 2;
    res.send("ok");
  });
  return app;
}

describe("one session's life on Redis: commands per request, deadlines, cookies", () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let clockOffsetMs = 0;
  const apps: Array<{ close(): Promise<void> }> = [];

  async function startApp(options: Partial<SessionOptions> = {}) {
    const sessions = session({
      redis: server.url,
      secret: TEST_SECRET,
      namespace: testNamespace("lifecycle"),
      idleTimeout: IDLE_MS,
      absoluteTimeout: ABSOLUTE_MS,
      touchAfter: TOUCH_AFTER_MS,
      now: () => Date.now() + clockOffsetMs,
      ...options,
    });
    // The start-up checks (ROLE, INFO) must not land inside a measured request.
    await (sessions.manager.store as RedisStore).verify();
    const http = await listen(createServer(createTestApp(sessions)));
    apps.push({
      close: async () => {
        await http.close();
        await sessions.close();
      },
    });
    const store = sessions.manager.store as RedisStore;
    return {
      browser: () => new Browser(http.baseUrl),
      keyOf: (browser: Browser) =>
        store.keys.sessionKey(sessionKeyId((browser.cookies.get("sid") ?? "").split(".")[0] ?? "")),
    };
  }

  /** Redis commands executed while `action` ran, from INFO commandstats (this server serves only this file). */
  async function commandsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
    await redis.config("RESETSTAT");
    await action();
    const info = await redis.info("commandstats");
    const counts: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const [, name = "", calls = "0"] = match;
      if (!name.startsWith("config") && name !== "info") counts[name] = Number(calls);
    }
    return counts;
  }

  beforeAll(async () => {
    server = await startRedisServer({ name: "lifecycle" });
    redis = new Redis(server.port, "127.0.0.1");
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    redis?.disconnect();
    await server?.stop();
  });

  it("costs Redis nothing for a request without a session cookie that stores nothing", async () => {
    const app = await startApp();
    const browser = app.browser();
    expect(await commandsDuring(() => browser.get("/read"))).toEqual({});
    expect(browser.cookies.size).toBe(0);
  });

  it("reads with one command, writes nothing before touchAfter, one script after it", async () => {
    clockOffsetMs = 0;
    const app = await startApp();
    const browser = app.browser();
    const login = await commandsDuring(() => browser.request("POST", "/login"));
    // The create script: EVALSHA (NOSCRIPT + EVAL only on the first call to a fresh server).
    expect((login.evalsha ?? 0) + (login.eval ?? 0)).toBeGreaterThanOrEqual(1);
    // The create script reads the key (GET: must not exist) and writes it (SET ... PX).
    expect(login).toMatchObject({ get: 1, set: 1 });

    // A read is one GET, as the one-GET ceiling.
    expect(await commandsDuring(() => browser.get("/read"))).toEqual({ get: 1 });
    expect(await commandsDuring(() => browser.get("/noop"))).toEqual({ get: 1 });

    // Inside the script: GET the record, merge, SET it with its TTL (PX).
    clockOffsetMs += TOUCH_AFTER_MS + 1000;
    const touched = await commandsDuring(() => browser.get("/read"));
    expect(touched).toEqual({ get: 2, evalsha: 1, set: 1 });
    expect(await commandsDuring(() => browser.get("/read"))).toEqual({ get: 1 });

    const modified = await commandsDuring(() => browser.request("POST", "/cart?item=book"));
    expect(modified).toEqual({ get: 2, evalsha: 1, set: 1 });
    expect(JSON.parse((await readField(redis, app.keyOf(browser), "cart")) ?? "{}")).toEqual({
      items: ["book"],
    });
  });

  it("sets the TTL to the time left and slides it on activity", async () => {
    clockOffsetMs = 0;
    const app = await startApp();
    const browser = app.browser();
    await browser.request("POST", "/login");
    const key = app.keyOf(browser);
    expect(await redis.pttl(key)).toBeGreaterThan(IDLE_MS - 5000);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(IDLE_MS);
    clockOffsetMs += 20 * MINUTE;
    await browser.get("/read");
    // Slid: a full idle period from the (shifted) now, not the 10 minutes the first TTL had left.
    expect(await redis.pttl(key)).toBeGreaterThan(IDLE_MS - 5000);
  });

  it("ends a session at its idle deadline and removes the record", async () => {
    clockOffsetMs = 0;
    const app = await startApp();
    const browser = app.browser();
    await browser.request("POST", "/login?user=idle");
    const key = app.keyOf(browser);
    clockOffsetMs += IDLE_MS - MINUTE;
    expect((await browser.get("/read")).json()).toEqual({ user: "idle" });
    clockOffsetMs += IDLE_MS + MINUTE;
    const expired = await browser.get("/read");
    expect(expired.json()).toEqual({ user: null });
    // Ended by its deadline, not by this request: the cookie is left alone (rule 16; it may already be a
    // newer login's), and it names no session any more.
    expect(expired.setCookies.some((c) => /Max-Age=0/.test(c))).toBe(false);
    expect(await redis.exists(key)).toBe(0);
  });

  it("ends an active session at its absolute deadline", async () => {
    clockOffsetMs = 0;
    const app = await startApp();
    const browser = app.browser();
    await browser.request("POST", "/login?user=busy");
    const key = app.keyOf(browser);
    let lastSeen: unknown = "busy";
    while (clockOffsetMs < ABSOLUTE_MS - 10 * MINUTE) {
      clockOffsetMs += 10 * MINUTE;
      lastSeen = (await browser.get("/read")).json<{ user: unknown }>().user;
      expect(lastSeen).toBe("busy");
    }
    // The TTL never outlives the absolute deadline.
    expect(await redis.pttl(key)).toBeLessThanOrEqual(ABSOLUTE_MS - clockOffsetMs + 1000);
    clockOffsetMs = ABSOLUTE_MS + 1000;
    expect((await browser.get("/read")).json()).toEqual({ user: null });
    expect(await redis.exists(key)).toBe(0);
  });

  it("issues a signed, HttpOnly, SameSite=Lax persistent cookie whose Max-Age matches the deadline", async () => {
    clockOffsetMs = 0;
    const app = await startApp();
    const response = await app.browser().request("POST", "/login");
    const cookie = response.setCookies.find((c) => c.startsWith("sid=")) ?? "";
    expect(cookie).toMatch(/^sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; Max-Age=1800(;|$)/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/; Secure/);
  });

  it("browser-session cookies carry no Max-Age but the record still has a TTL", async () => {
    clockOffsetMs = 0;
    const app = await startApp({ cookie: { persistent: false, name: "app_session", secure: true } });
    const browser = app.browser();
    const response = await browser.request("POST", "/login");
    const cookie = response.setCookies.find((c) => c.startsWith("app_session=")) ?? "";
    expect(cookie).not.toMatch(/Max-Age|Expires/);
    expect(cookie).toMatch(/; Secure/);
    const id = (browser.cookies.get("app_session") ?? "").split(".")[0] ?? "";
    const keys = await redis.keys(`*{${sessionKeyId(id)}}`);
    expect(keys).toHaveLength(1);
    expect(await redis.pttl(keys[0] as string)).toBeGreaterThan(0);
  });

  it("save() writes now, and the end of the request writes only what changed after it", async () => {
    clockOffsetMs = 0;
    const app = await startApp();
    const browser = app.browser();
    await browser.request("POST", "/login");
    const counts = await commandsDuring(() => browser.request("POST", "/save-then-change"));
    expect(counts.evalsha).toBe(2);
    expect(await readField(redis, app.keyOf(browser), "visits")).toBe("2");
  });

  it("rolling re-sends the cookie on every response; the default sends it only when it changes", async () => {
    clockOffsetMs = 0;
    const quiet = await startApp();
    const quietBrowser = quiet.browser();
    await quietBrowser.request("POST", "/login");
    expect((await quietBrowser.get("/read")).setCookies).toEqual([]);
    const rolling = await startApp({ rolling: true });
    const rollingBrowser = rolling.browser();
    await rollingBrowser.request("POST", "/login");
    expect((await rollingBrowser.get("/read")).setCookies).toHaveLength(1);
    expect((await rollingBrowser.get("/read")).setCookies).toHaveLength(1);
  });

  it("saves a new empty session only with saveUninitialized", async () => {
    clockOffsetMs = 0;
    const eager = await startApp({ saveUninitialized: true });
    const browser = eager.browser();
    await browser.get("/read");
    expect(browser.cookies.has("sid")).toBe(true);
    expect(await redis.exists(eager.keyOf(browser))).toBe(1);
  });
});
