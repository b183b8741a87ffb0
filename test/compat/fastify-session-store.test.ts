import fastifyCookie from "@fastify/cookie";
import fastifySession, { type FastifySessionObject } from "@fastify/session";
import Fastify, { type FastifyRequest } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RedisStore } from "../../src/compat/express-session/index.js";
import { TEST_SECRET, testNamespace } from "../support/browser.js";

const { standalone } = inject("redis");

/** @fastify/session's request.session. Typed here: sessionkit's Fastify adapter types it its own way. */
const sessionOf = (request: FastifyRequest) =>
  request.session as unknown as FastifySessionObject & Record<string, unknown>;

describe("@fastify/session with sessionkit's RedisStore", () => {
  let client: Redis;
  let store: RedisStore;
  const app = Fastify();
  beforeAll(async () => {
    client = new Redis(standalone.port, "127.0.0.1");
    store = new RedisStore({ client, namespace: testNamespace("fastify-session"), prefix: false });
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: TEST_SECRET,
      store,
      saveUninitialized: false,
      cookie: { secure: false, maxAge: 60_000 },
    });
    app.post("/login", async (request, reply) => {
      await sessionOf(request).regenerate();
      sessionOf(request).user = "fastify-user";
      return reply.redirect("/session", 303);
    });
    app.get("/session", async (request) => ({ user: sessionOf(request).user ?? null }));
    app.post("/logout", async (request, reply) => {
      await sessionOf(request).destroy();
      return reply.redirect("/session", 303);
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    client?.disconnect();
  });

  it("logs in, reads back, stores under the hashed ID with a TTL, and logs out", async () => {
    const login = await app.inject({ method: "POST", url: "/login" });
    expect(login.statusCode).toBe(303);
    const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
    const sid = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1)).split(".")[0] ?? "";
    const read = await app.inject({ method: "GET", url: "/session", headers: { cookie } });
    expect(read.json()).toEqual({ user: "fastify-user" });
    const key = store.keyOf(sid);
    expect(key).not.toContain(sid);
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await app.inject({ method: "POST", url: "/logout", headers: { cookie } });
    expect(await client.exists(key)).toBe(0);
    const after = await app.inject({ method: "GET", url: "/session", headers: { cookie } });
    expect(after.json()).toEqual({ user: null });
  });
});
