import { createServer, type IncomingMessage, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSessionAdmin, type SessionAdmin } from "../../src/admin/index.js";
import {
  createDashboard,
  type Dashboard,
  expressDashboard,
  fastifyDashboard,
  honoDashboard,
  koaDashboard,
  nodeDashboard,
} from "../../src/dashboard/index.js";
import { createRedisStore, type SessionStore } from "../../src/index.js";
import { listen, testNamespace } from "../support/browser.js";

/**
 * One dashboard handler, five mounts: each framework hands it the request (bodies unread or parsed
 * already), lets the SSE stream through, and keeps its own routes. The browser test covers the page.
 */
const TOKEN = "mount-test-token";
let store: SessionStore;
let admin: SessionAdmin;
let dashboard: Dashboard;
const authorize = (req: IncomingMessage) => req.headers.authorization === `Bearer ${TOKEN}`;

const mounts: Record<string, () => Promise<Server>> = {
  "node:http": async () =>
    createServer((req, res) => nodeDashboard(dashboard)(req, res, () => res.end("app"))),
  express: async () => {
    const app = express();
    // A body parser before the mount: the dashboard takes the parsed body.
    app.use(express.json());
    app.use(expressDashboard(dashboard));
    app.get("/other", (_req, res) => res.send("app"));
    return createServer(app);
  },
  fastify: async () => {
    const app = Fastify();
    await app.register(fastifyDashboard(dashboard));
    app.get("/other", async () => "app");
    await app.ready();
    return createServer((req, res) => app.routing(req, res));
  },
  hono: async () => {
    const app = new Hono();
    app.use(honoDashboard(dashboard));
    app.get("/other", (c) => c.text("app"));
    return createServer(getRequestListener(app.fetch));
  },
  koa: async () => {
    const app = new Koa();
    app.use(koaDashboard(dashboard));
    app.use(async (ctx) => {
      ctx.body = "app";
    });
    return createServer(app.callback());
  },
};

beforeAll(async () => {
  store = createRedisStore({ redis: inject("redis").standalone.url, namespace: testNamespace("mounts") });
  admin = createSessionAdmin({ store });
  dashboard = createDashboard({ admin, authorize });
});
afterAll(async () => {
  await admin?.close();
  await store?.close();
});

describe.each(Object.keys(mounts))("the dashboard mounted on %s", (name) => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen(await (mounts[name] as () => Promise<Server>)());
  });
  afterAll(() => server?.close());
  const auth = { authorization: `Bearer ${TOKEN}` };

  it("401 without authorization, the page with it, and the app's own routes untouched", async () => {
    expect((await fetch(`${server.baseUrl}/admin/`)).status).toBe(401);
    const page = await fetch(`${server.baseUrl}/admin/`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await page.text()).toContain('<meta name="sk-csrf"');
    const script = await fetch(`${server.baseUrl}/admin/assets/dashboard.js`, { headers: auth });
    expect(script.headers.get("content-type")).toContain("text/javascript");
    expect(await (await fetch(`${server.baseUrl}/other`)).text()).toBe("app");
  });

  it("a POST with the page's token reaches the API (body read through the framework); without it, 403", async () => {
    const html = await (await fetch(`${server.baseUrl}/admin/`, { headers: auth })).text();
    const token = /name="sk-csrf" content="([^"]+)"/.exec(html)?.[1] as string;
    const post = (headers: Record<string, string>) =>
      fetch(`${server.baseUrl}/admin/api/search`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", ...headers },
        body: JSON.stringify({ by: "principal", query: "nobody" }),
      });
    const found = await post({ "x-csrf-token": token });
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ sessions: [] });
    expect((await post({})).status).toBe(403);
  });

  it("the event stream is sent as Server-Sent Events", async () => {
    const abort = new AbortController();
    const response = await fetch(`${server.baseUrl}/admin/api/events`, {
      headers: auth,
      signal: abort.signal,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("retry: 2000");
    abort.abort();
  });
});

describe("createDashboard", () => {
  it("refuses to be built without authorize", () => {
    expect(() => createDashboard({ admin } as unknown as Parameters<typeof createDashboard>[0])).toThrow(
      /authorize/,
    );
  });
});
