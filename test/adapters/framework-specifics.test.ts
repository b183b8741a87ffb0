import { createServer } from "node:http";
import fastifyCookie from "@fastify/cookie";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import { describe, expect, it } from "vitest";
import { session as fastifySession } from "../../src/adapters/fastify/index.js";
import { session as honoSession, type SessionEnv } from "../../src/adapters/hono/index.js";
import { session as koaSession } from "../../src/adapters/koa/index.js";
import { createSessionManager } from "../../src/create-session-manager.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { createMemoryStore } from "../../src/store/memory-store.js";
import { TEST_SECRET } from "../support/browser.js";
import { Client, socketTransport } from "./client.js";

/** What each framework decides on its own, beyond the shared contract. The store does not matter here. */
const memoryManager = () => createSessionManager({ store: createMemoryStore(), secret: TEST_SECRET });
const isSecure = (setCookie: string | undefined) => /;\s*Secure/i.test(setCookie ?? "");

describe("Fastify plugin", () => {
  it("works beside @fastify/cookie: both plugins' cookies leave, and request.cookies still parses", async () => {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession(memoryManager()));
    app.get("/", async (request, reply) => {
      request.session.visits = (request.session.visits ?? 0) + 1;
      reply.setCookie("theme", "dark", { path: "/" });
      return { visits: request.session.visits, cookies: request.cookies };
    });
    try {
      const first = await app.inject({ method: "GET", url: "/" });
      const setCookies = [first.headers["set-cookie"]].flat().map(String);
      expect(setCookies.map((c) => c.split("=")[0]).sort()).toEqual(["sid", "theme"]);
      const sid = setCookies.find((c) => c.startsWith("sid="))?.split(";")[0] ?? "";
      const second = await app.inject({ method: "GET", url: "/", headers: { cookie: `${sid}; theme=dark` } });
      expect(second.json()).toMatchObject({ visits: 2, cookies: { theme: "dark" } });
    } finally {
      await app.close();
    }
  });

  it("marks the cookie Secure when the request came over TLS as Fastify sees it (trustProxy)", async () => {
    const app = Fastify({ trustProxy: true });
    await app.register(fastifySession(memoryManager()));
    app.get("/", async (request) => {
      request.session.user = "seen";
      return "ok";
    });
    try {
      const plain = await app.inject({ method: "GET", url: "/" });
      const tls = await app.inject({ method: "GET", url: "/", headers: { "x-forwarded-proto": "https" } });
      expect(isSecure(String(plain.headers["set-cookie"]))).toBe(false);
      expect(isSecure(String(tls.headers["set-cookie"]))).toBe(true);
    } finally {
      await app.close();
    }
  });

  it("closes the store it created when the app closes, and leaves a manager it was given open", async () => {
    const closed: string[] = [];
    const watch = (label: string, manager: SessionManager) => {
      const close = manager.store.close.bind(manager.store);
      manager.store.close = async () => {
        closed.push(label);
        await close();
      };
    };
    const owned = fastifySession({ store: createMemoryStore(), secret: TEST_SECRET });
    watch("owned", owned.manager);
    const given = memoryManager();
    watch("given", given);
    for (const plugin of [owned, fastifySession(given)]) {
      const app = Fastify();
      await app.register(plugin);
      await app.close();
    }
    expect(closed).toEqual(["owned"]);
  });
});

describe("Hono middleware", () => {
  it("adds the cookie to a response whose headers are immutable (Response.redirect)", async () => {
    const app = new Hono<SessionEnv>();
    app.use(honoSession(memoryManager()));
    app.post("/login", async (c) => {
      await c.get("session").regenerate();
      c.get("session").user = "immutable";
      return Response.redirect("http://example.test/", 303);
    });
    const response = await app.request("/login", { method: "POST" });
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie()).toHaveLength(1);
  });

  it("marks the cookie Secure for an https request URL", async () => {
    const app = new Hono<SessionEnv>();
    app.use(honoSession(memoryManager()));
    app.get("/", (c) => {
      c.get("session").user = "seen";
      return c.text("ok");
    });
    expect(isSecure((await app.request("http://app.test/")).headers.getSetCookie()[0])).toBe(false);
    expect(isSecure((await app.request("https://app.test/")).headers.getSetCookie()[0])).toBe(true);
  });
});

describe("Koa middleware", () => {
  it("marks the cookie Secure when Koa sees TLS (app.proxy and X-Forwarded-Proto)", async () => {
    const app = new Koa({ proxy: true });
    app.use(koaSession(memoryManager()));
    app.use((ctx) => {
      ctx.session.user = "seen";
      ctx.body = "ok";
    });
    const http = await socketTransport(createServer(app.callback()));
    try {
      const client = new Client(http.transport);
      expect(isSecure((await client.get("/")).setCookies[0])).toBe(false);
      const tls = await new Client(http.transport).get("/", { "x-forwarded-proto": "https" });
      expect(isSecure(tls.setCookies[0])).toBe(true);
    } finally {
      await http.close();
    }
  });
});
