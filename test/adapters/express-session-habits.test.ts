import { createServer } from "node:http";
import { serve } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { Redis } from "ioredis";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { session as expressSession } from "../../src/adapters/express/index.js";
import { session as fastifySession } from "../../src/adapters/fastify/index.js";
import { session as honoSession, type SessionEnv } from "../../src/adapters/hono/index.js";
import { session as koaSession } from "../../src/adapters/koa/index.js";
import { createSessionManager } from "../../src/create-session-manager.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";

/**
 * Habits of express-session / cookie-session / koa-session apps that must keep working on the native
 * adapters, against a real Redis: logging out by assigning null, req.sessionID, "remember me" through
 * req.session.cookie.maxAge (the TTL Redis keeps follows it).
 */
let redis: Redis;
let manager: SessionManager;
const namespace = testNamespace("habits");

beforeAll(async () => {
  const { standalone } = inject("redis");
  redis = new Redis(standalone.port, "127.0.0.1");
  manager = createSessionManager({
    redis: standalone.url,
    namespace,
    secret: TEST_SECRET,
    idleTimeout: "30m",
    logger: false,
  });
  await manager.ready();
});
afterAll(async () => {
  await manager?.close();
  redis?.disconnect();
});

/** Keys of this file's sessions in Redis. */
const sessionKeys = () => redis.keys(`sk:${namespace}:s:*`);

type Mount = () => Promise<{ baseUrl: string; close(): Promise<void> }>;

/** Each framework's app: POST /login sets user; POST /logout assigns null to its session property. */
const frameworks: Record<string, Mount> = {
  express: async () => {
    const app = express();
    app.use(expressSession(manager));
    app.post("/login", (req, res) => {
      req.session.user = "ann";
      res.json({ ok: true });
    });
    app.post("/logout", (req, res) => {
      (req as { session: unknown }).session = null;
      res.json({ ok: true });
    });
    app.get("/me", (req, res) => res.json({ user: req.session.user ?? null }));
    return listen(createServer(app));
  },
  koa: async () => {
    const app = new Koa();
    app.use(koaSession(manager));
    app.use(async (ctx) => {
      if (ctx.method === "POST" && ctx.path === "/login") ctx.session.user = "ann";
      if (ctx.method === "POST" && ctx.path === "/logout") (ctx as { session: unknown }).session = null;
      ctx.body = { user: ctx.session?.user ?? null };
    });
    return listen(createServer(app.callback()));
  },
  fastify: async () => {
    const app = Fastify();
    await app.register(fastifySession(manager));
    app.post("/login", async (request) => {
      request.session.user = "ann";
      return { ok: true };
    });
    app.post("/logout", async (request) => {
      (request as { session: unknown }).session = null;
      return { ok: true };
    });
    app.get("/me", async (request) => ({ user: request.session.user ?? null }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
  hono: async () => {
    const app = new Hono<SessionEnv>();
    app.use(honoSession(manager));
    app.post("/login", (c) => {
      c.get("session").user = "ann";
      return c.json({ ok: true });
    });
    app.post("/logout", (c) => {
      c.set("session", null as never);
      return c.json({ ok: true });
    });
    app.get("/me", (c) => c.json({ user: c.get("session").user ?? null }));
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  },
};

describe("session = null logs out (cookie-session's and koa-session's habit)", () => {
  for (const [name, mount] of Object.entries(frameworks)) {
    it(`${name}: the record is deleted and the cookie cleared`, async () => {
      const app = await mount();
      try {
        const browser = new Browser(app.baseUrl);
        await browser.request("POST", "/login");
        const cookie = browser.cookies.get("sid");
        expect(cookie).toBeDefined();
        expect((await browser.get("/me")).json()).toEqual({ user: "ann" });
        const before = (await sessionKeys()).length;
        const logout = await browser.request("POST", "/logout");
        expect(logout.status).toBe(200);
        expect(logout.setCookies.join()).toMatch(/^sid=; Max-Age=0/);
        expect(browser.cookies.has("sid")).toBe(false);
        expect((await sessionKeys()).length).toBe(before - 1);
        const replay = new Browser(app.baseUrl);
        replay.cookies.set("sid", cookie as string);
        expect((await replay.get("/me")).json()).toEqual({ user: null });
      } finally {
        await app.close();
      }
    });
  }
});

describe("Express: req.sessionID and remember me", () => {
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(expressSession(manager));
    app.post("/login", async (req, res) => {
      const before = req.sessionID;
      await req.session.regenerate();
      req.session.user = req.body.user;
      if (req.body.remember === "on") req.session.cookie.maxAge = 30 * 24 * 3600 * 1000;
      res.json({ changed: before !== req.sessionID, sameAsSession: req.sessionID === req.session.id });
    });
    app.get("/me", (req, res) =>
      res.json({ user: req.session.user ?? null, maxAge: req.session.cookie.maxAge }),
    );
    server = await listen(createServer(app));
  });
  afterAll(() => server?.close());

  it("req.sessionID is the session's ID and follows a regenerate", async () => {
    const browser = new Browser(server.baseUrl);
    const login = await browser.request("POST", "/login", { form: { user: "ann" } });
    expect(login.json()).toEqual({ changed: true, sameAsSession: true });
  });

  it("remember me: a 30-day cookie and a 30-day TTL in Redis for this session only, within absoluteTimeout", async () => {
    const remembered = new Browser(server.baseUrl);
    const login = await remembered.request("POST", "/login", { form: { user: "ann", remember: "on" } });
    const maxAge = Number(/Max-Age=(\d+)/.exec(login.setCookies[0] ?? "")?.[1]);
    // absoluteTimeout (14 days by default) caps it.
    expect(maxAge).toBeGreaterThan(14 * 24 * 3600 - 5);
    expect(maxAge).toBeLessThanOrEqual(14 * 24 * 3600);
    const plain = new Browser(server.baseUrl);
    const plainLogin = await plain.request("POST", "/login", { form: { user: "bob" } });
    expect(Number(/Max-Age=(\d+)/.exec(plainLogin.setCookies[0] ?? "")?.[1])).toBeGreaterThan(30 * 60 - 5);

    const ttls = new Map<string, number>();
    for (const key of await sessionKeys()) ttls.set(key, await redis.pttl(key));
    const values = [...ttls.values()];
    expect(values.some((ttl) => ttl > 13 * 24 * 3600 * 1000)).toBe(true);
    expect(values.some((ttl) => ttl <= 30 * 60 * 1000 && ttl > 0)).toBe(true);
    expect(values.every((ttl) => ttl > 0)).toBe(true);
    expect((await remembered.get("/me")).json<{ maxAge: number }>().maxAge).toBeGreaterThan(
      13 * 24 * 3600 * 1000,
    );
  });
});
