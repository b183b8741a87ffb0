import { createServer } from "node:http";
import { SpanStatusCode } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { traceSessions } from "../../examples/opentelemetry-tracing.js";
import { session } from "../../src/adapters/express/index.js";
import { findFreePort } from "../../tools/redis-harness/redis-server.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";

/**
 * The `sessionkit:load` and `sessionkit:commit` tracing channels, seen the way an APM sees them: through
 * examples/opentelemetry-tracing.ts (the README's example) into the real OpenTelemetry SDK's in-memory
 * exporter, for an Express app on a real Redis.
 */
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let stopTracing: () => void;
let redis: Redis;
let server: Awaited<ReturnType<typeof listen>>;
let sessions: ReturnType<typeof session>;
const namespace = testNamespace("tracing");

function app(sessionMiddleware: ReturnType<typeof session>) {
  const built = express();
  built.use(sessionMiddleware);
  built.post("/login", async (req, res) => {
    await req.session.regenerate();
    (req.session as unknown as Record<string, unknown>).user = "ann";
    res.json({ ok: true });
  });
  built.post("/set", (req, res) => {
    (req.session as unknown as Record<string, unknown>).theme = "dark";
    res.json({ ok: true });
  });
  built.post("/logout", async (req, res) => {
    await req.session.destroy();
    res.json({ ok: true });
  });
  built.get("/", (_req, res) => res.json({ ok: true }));
  return built;
}

/** The spans ended since the last call, as [name, attributes, status]. */
function spans(): [string, Record<string, unknown>, SpanStatusCode][] {
  const finished = exporter.getFinishedSpans() as ReadableSpan[];
  exporter.reset();
  return finished.map((span) => [span.name, { ...span.attributes }, span.status.code]);
}

beforeAll(async () => {
  const { standalone } = inject("redis");
  stopTracing = traceSessions(provider.getTracer("test"));
  redis = new Redis(standalone.port, "127.0.0.1");
  sessions = session({
    redis: standalone.url,
    namespace,
    secret: TEST_SECRET,
    idleTimeout: "1s",
    logger: false,
  });
  await sessions.ready();
  server = await listen(createServer(app(sessions)));
});
afterAll(async () => {
  stopTracing?.();
  await server?.close();
  await sessions?.close();
  redis?.disconnect();
});
beforeEach(() => exporter.reset());

describe("tracing channels as OpenTelemetry spans", () => {
  it("a visit, a login, a read, a change, a logout: one load span each, a commit span for each write", async () => {
    const browser = new Browser(server.baseUrl);
    await browser.get("/");
    expect(spans()).toEqual([
      ["sessionkit.load", { "sessionkit.outcome": "none", "sessionkit.commands": [] }, 0],
    ]);

    await browser.request("POST", "/login");
    const [load, commit] = spans();
    expect(load?.[1]).toMatchObject({ "sessionkit.outcome": "none" });
    expect(commit?.[0]).toBe("sessionkit.commit");
    expect(commit?.[1]).toMatchObject({
      "sessionkit.kind": "create",
      "sessionkit.commands": ["session write"],
    });
    const handle = commit?.[1]["sessionkit.handle"] as string;
    expect(handle).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // Never the ID: the cookie's value does not appear in any attribute.
    const id = (browser.cookies.get("sid") ?? "").split(".")[0] as string;
    expect(JSON.stringify(commit)).not.toContain(id);

    await browser.get("/");
    expect(spans()).toEqual([
      [
        "sessionkit.load",
        {
          "sessionkit.handle": handle,
          "sessionkit.outcome": "found",
          "sessionkit.commands": ["session read"],
        },
        0,
      ],
    ]);

    await browser.request("POST", "/set");
    expect(spans()[1]?.[1]).toMatchObject({
      "sessionkit.kind": "update",
      "sessionkit.commands": ["session write"],
    });

    await browser.request("POST", "/login");
    expect(spans()[1]?.[1]).toMatchObject({ "sessionkit.kind": "rotate" });

    await browser.request("POST", "/logout");
    expect(spans()[1]?.[1]).toMatchObject({ "sessionkit.kind": "destroy" });
  });

  it("a tampered cookie, a session gone, a corrupt record, an expired one: the load's outcome says which", async () => {
    const tampered = new Browser(server.baseUrl);
    tampered.cookies.set("sid", "forged.signature");
    await tampered.get("/");
    expect(spans()[0]?.[1]).toMatchObject({ "sessionkit.outcome": "invalid_cookie" });

    const browser = new Browser(server.baseUrl);
    await browser.request("POST", "/login");
    const [key] = await redis.keys(`sk:${namespace}:s:*`);
    spans();
    await redis.set(key as string, "not a record", "PX", 60_000);
    await browser.get("/");
    expect(spans()[0]?.[1]).toMatchObject({
      "sessionkit.outcome": "corrupt",
      "sessionkit.commands": ["session read", "session delete"],
    });
    await browser.get("/");
    expect(spans()[0]?.[1]).toMatchObject({ "sessionkit.outcome": "gone" });

    const idle = new Browser(server.baseUrl);
    await idle.request("POST", "/login");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    spans();
    await idle.get("/");
    // Redis's TTL (the same deadline) may have removed it first: gone and expired are both honest.
    expect(["expired", "gone"]).toContain(spans()[0]?.[1]["sessionkit.outcome"]);
  });

  it("Redis unreachable: the load span ends with an error status", async () => {
    const down = session({
      redis: `redis://127.0.0.1:${await findFreePort()}`,
      namespace,
      secret: TEST_SECRET,
      commandTimeout: "200ms",
      logger: false,
    });
    const failing = await listen(createServer(app(down)));
    try {
      const browser = new Browser(failing.baseUrl);
      browser.cookies.set("sid", (await signedCookieFromWorkingApp()) as string);
      const response = await browser.get("/");
      expect(response.status).toBe(503);
      const [load] = spans().filter(([name]) => name === "sessionkit.load");
      expect(load?.[2]).toBe(SpanStatusCode.ERROR);
    } finally {
      await failing.close();
      await down.close();
    }
  });
});

/** A cookie that verifies (same secret), so the failing app must ask Redis. */
async function signedCookieFromWorkingApp(): Promise<string | undefined> {
  const browser = new Browser(server.baseUrl);
  await browser.request("POST", "/login");
  spans();
  return browser.cookies.get("sid");
}
