import { createServer } from "node:http";
import express from "express";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { session } from "../../src/adapters/express/index.js";
import { type MetricsRegistration, registerMetrics } from "../../src/metrics/index.js";
import { findFreePort } from "../../tools/redis-harness/redis-server.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";

/**
 * sessionkit/metrics on an Express app and a real Redis: each scenario moves the counters it should, read
 * back the way Prometheus reads them (the registry's text exposition, parsed).
 */
const namespace = testNamespace("metrics");
let sessions: ReturnType<typeof session>;
let metrics: MetricsRegistration;
let server: Awaited<ReturnType<typeof listen>>;

function app(sessionMiddleware: ReturnType<typeof session>) {
  const built = express();
  built.use(sessionMiddleware);
  built.post("/login", async (req, res) => {
    await req.session.setPrincipal("ann");
    res.json({ ok: true });
  });
  built.get("/read", (req, res) => res.json({ user: req.session.meta.principal ?? null }));
  built.post("/logout", async (req, res) => {
    await req.session.destroy();
    res.json({ ok: true });
  });
  return built;
}

/** Series name{labels} -> value, from the text exposition; throws on a line Prometheus would refuse. */
function parseExposition(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (/^# (HELP|TYPE) sessionkit_[a-z_]+ .+$/.test(line)) continue;
    const match = /^([a-z_]+)(\{(?:[a-z_]+="[^"\\\n]*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf)$/.exec(line);
    if (!match) throw new Error(`not exposition format: ${line}`);
    series.set(`${match[1]}${match[2] ?? ""}`, Number(match[3]));
  }
  return series;
}

async function scrape(registration: MetricsRegistration = metrics): Promise<Map<string, number>> {
  return parseExposition(await registration.registry.metrics());
}

/** What each series moved by during `action`. */
async function delta(action: () => Promise<unknown>, registration?: MetricsRegistration) {
  const before = await scrape(registration);
  await action();
  const after = await scrape(registration);
  const moved: Record<string, number> = {};
  for (const [name, value] of after) {
    const change = value - (before.get(name) ?? 0);
    if (change !== 0 && !name.includes("_bucket") && !/sessionkit_(sessions|memory_bytes)$/.test(name))
      moved[name] = change;
  }
  return moved;
}

beforeAll(async () => {
  const { standalone } = inject("redis");
  sessions = session({
    redis: standalone.url,
    namespace,
    secret: TEST_SECRET,
    events: {},
    index: {},
    logger: false,
  });
  await sessions.ready();
  metrics = registerMetrics(sessions.manager, { registry: new Registry(), gaugeInterval: 0 });
  server = await listen(createServer(app(sessions)));
});
afterAll(async () => {
  metrics?.unregister();
  await server?.close();
  await sessions?.close();
});

describe("sessionkit/metrics", () => {
  it("a login, a read, a logout: loads, commits, created and destroyed move by one each", async () => {
    const browser = new Browser(server.baseUrl);
    expect(await delta(() => browser.request("POST", "/login"))).toEqual({
      'sessionkit_session_loads_total{result="none"}': 1,
      'sessionkit_session_commits_total{kind="create"}': 1,
      'sessionkit_store_command_duration_seconds_sum{kind="create"}': expect.any(Number),
      'sessionkit_store_command_duration_seconds_count{kind="create"}': 1,
      sessionkit_sessions_created_total: 1,
    });
    expect(await delta(() => browser.get("/read"))).toEqual({
      'sessionkit_session_loads_total{result="found"}': 1,
      'sessionkit_store_command_duration_seconds_sum{kind="read"}': expect.any(Number),
      'sessionkit_store_command_duration_seconds_count{kind="read"}': 1,
    });
    expect(await delta(() => browser.request("POST", "/logout"))).toMatchObject({
      'sessionkit_session_loads_total{result="found"}': 1,
      'sessionkit_session_commits_total{kind="destroy"}': 1,
      'sessionkit_sessions_destroyed_total{reason="logout"}': 1,
    });
  });

  it("a tampered cookie: a load without a session and a rejected cookie", async () => {
    const browser = new Browser(server.baseUrl);
    browser.cookies.set("sid", "forged.signature");
    expect(await delta(() => browser.get("/read"))).toEqual({
      'sessionkit_session_loads_total{result="invalid_cookie"}': 1,
      'sessionkit_cookies_rejected_total{reason="invalid_signature"}': 1,
    });
  });

  it("the gauges count the namespace's sessions and their memory, from the admin API's stats", async () => {
    for (let i = 0; i < 3; i++) await new Browser(server.baseUrl).request("POST", "/login");
    const series = await scrape();
    expect(series.get("sessionkit_sessions")).toBe(3);
    expect(series.get("sessionkit_memory_bytes")).toBeGreaterThan(3 * 50);
  });

  it("Redis down: fail closed counts an error by code, fail open counts a fail-open; neither counts here", async () => {
    const cookie = await loggedInCookie();
    for (const failurePolicy of ["closed", "open"] as const) {
      const down = session({
        redis: `redis://127.0.0.1:${await findFreePort()}`,
        namespace,
        secret: TEST_SECRET,
        commandTimeout: "200ms",
        failurePolicy,
        logger: false,
      });
      const downMetrics = registerMetrics(down.manager, { registry: new Registry() });
      const failing = await listen(createServer(app(down)));
      try {
        const browser = new Browser(failing.baseUrl);
        browser.cookies.set("sid", cookie);
        const moved = await delta(async () => {
          const response = await browser.get("/read");
          expect(response.status).toBe(failurePolicy === "closed" ? 503 : 200);
        }, downMetrics);
        const code = Object.keys(moved).find((name) => name.startsWith("sessionkit_store_errors_total"));
        expect(code).toMatch(/code="SESSION_STORE_(UNREACHABLE|TIMEOUT|UNAVAILABLE)"/);
        expect(moved).toMatchObject(
          failurePolicy === "closed"
            ? { 'sessionkit_session_loads_total{result="error"}': 1 }
            : { 'sessionkit_session_loads_total{result="failed_open"}': 1, sessionkit_fail_open_total: 1 },
        );
        // The working app's metrics (another manager of this process) did not move.
        expect(Object.keys(await delta(async () => {}))).toEqual([]);
        expect((await scrape()).get('sessionkit_session_loads_total{result="error"}')).toBeUndefined();
      } finally {
        downMetrics.unregister();
        await failing.close();
        await down.close();
      }
    }
  });

  it("events on: a revoke counts destroyed{revoked}, the sweeper's expiry counts expired{idle}", async () => {
    const short = session({
      redis: inject("redis").standalone.url,
      namespace: testNamespace("metrics-expiry"),
      secret: TEST_SECRET,
      idleTimeout: "1s",
      events: { sweepInterval: "1h" },
      index: {},
      logger: false,
    });
    const registration = registerMetrics(short.manager, { registry: new Registry() });
    const served = await listen(createServer(app(short)));
    try {
      await new Browser(served.baseUrl).request("POST", "/login");
      expect(await delta(() => short.manager.revokeAllSessions("ann"), registration)).toEqual({
        'sessionkit_sessions_destroyed_total{reason="revoked"}': 1,
      });
      await new Browser(served.baseUrl).request("POST", "/login");
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const moved = await delta(() => short.manager.sweepExpired(), registration);
      // Redis's TTL may have taken the record first: then the sweeper reports it as "ttl".
      expect(Object.keys(moved)).toHaveLength(1);
      expect(Object.keys(moved)[0]).toMatch(/^sessionkit_sessions_expired_total\{reason="(idle|ttl)"\}$/);
    } finally {
      registration.unregister();
      await served.close();
      await short.close();
    }
  });

  it("label values come from fixed sets: no handle, principal or path in any series", async () => {
    const text = await metrics.registry.metrics();
    expect(text).not.toContain("ann");
    const labels = [...text.matchAll(/([a-z_]+)="([^"]*)"/g)].map(([, name, value]) => `${name}=${value}`);
    for (const label of labels) {
      expect(label).toMatch(
        /^(result=[a-z_]+|kind=[a-z]+|code=SESSION_STORE_[A-Z_]+|reason=[a-z_]+|le=[0-9.e+-]+|le=\+Inf)$/,
      );
    }
    metrics.unregister();
    expect((await metrics.registry.metrics()).trim()).toBe("");
    metrics = registerMetrics(sessions.manager, { registry: metrics.registry, gaugeInterval: 0 });
  });
});

async function loggedInCookie(): Promise<string> {
  const browser = new Browser(server.baseUrl);
  await browser.request("POST", "/login");
  return browser.cookies.get("sid") as string;
}
