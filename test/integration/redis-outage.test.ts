import { createServer } from "node:http";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoApp } from "../../demo/app.js";
import { session } from "../../src/adapters/express/index.js";
import { type RedisServerHandle, startRedisServer } from "../../tools/redis-harness/redis-server.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";

const COMMAND_TIMEOUT_MS = 300;
/** Generous bound for "did not hang": the timeout plus scheduling noise on a loaded 2-core machine. */
const NO_HANG_BOUND_MS = COMMAND_TIMEOUT_MS + 2000;

/** Sends a request and measures how long the answer took. */
async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await call();
  return { result, ms: performance.now() - started };
}

// Each test here owns a redis-server it can freeze, kill and restart without touching shared servers.
describe("Redis down, fail-closed (default)", () => {
  let server: RedisServerHandle;
  let demo: DemoFixture;
  beforeAll(async () => {
    server = await startRedisServer({ name: "outage-closed" });
    demo = await startDemoFixture(server.port, "outage-closed", { commandTimeout: COMMAND_TIMEOUT_MS });
  });
  afterAll(async () => {
    await demo?.close();
    await server?.stop();
  });

  it("answers 503 within the command timeout while Redis hangs, and resumes with the session intact", async () => {
    const browser = demo.browser();
    await browser.request("POST", "/login", { json: { user: "frozen" } });
    process.kill(server.pid, "SIGSTOP");
    try {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          timed(() =>
            i % 2 === 0
              ? browser.get("/api/session")
              : browser.request("PATCH", "/api/session", { json: { n: i } }),
          ),
        ),
      );
      for (const { result, ms } of answers) {
        expect(result.status).toBe(503);
        expect(ms).toBeLessThan(NO_HANG_BOUND_MS);
      }
      expect(answers[0]?.result.json().code).toBe("SESSION_STORE_TIMEOUT");
    } finally {
      process.kill(server.pid, "SIGCONT");
    }
    await expect
      .poll(async () => (await browser.get("/api/session")).json<{ data: { user?: string } }>().data.user, {
        timeout: 5000,
        interval: 50,
      })
      .toBe("frozen");
  });

  it("answers 503 at once while Redis is dead, and serves again after it restarts, without an app restart", async () => {
    const browser = demo.browser();
    const owner = demo.browser();
    await owner.request("POST", "/login", { json: { user: "before-crash" } });
    const validCookie = owner.cookies.get("sid");
    await server.kill();
    const { result, ms } = await timed(() => browser.request("POST", "/login", { json: { user: "dead" } }));
    // The login's commit failed after the handler ran: the held response is replaced by a plain 503.
    expect(result.status).toBe(503);
    expect(result.text).toMatch(/session store/);
    expect(result.headers.get("retry-after")).toBe("1");
    expect(ms).toBeLessThan(NO_HANG_BOUND_MS);
    // Nothing of a failed login may leave: no redirect, no cookie.
    expect(result.headers.get("location")).toBeNull();
    expect(result.setCookies).toEqual([]);
    const load = await timed(() => browser.request("GET", "/api/session", { headers: { cookie: "sid=x" } }));
    expect(load.result.status).toBe(200); // an invalid cookie never reaches Redis
    const withSession = await timed(() =>
      demo.browser().request("GET", "/api/session", { headers: { cookie: `sid=${validCookie}` } }),
    );
    expect(withSession.result.status).toBe(503);
    expect(withSession.result.json().code).toBe("SESSION_STORE_UNAVAILABLE");
    expect(withSession.ms).toBeLessThan(NO_HANG_BOUND_MS);
    await server.restart();
    await expect
      .poll(async () => (await browser.request("POST", "/login", { json: { user: "back" } })).status, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(303);
    expect((await browser.get("/api/session")).json<{ data: { user?: string } }>().data.user).toBe("back");
  });
});

describe("Redis down, fail-open", () => {
  let server: RedisServerHandle;
  let demo: DemoFixture;
  beforeAll(async () => {
    server = await startRedisServer({ name: "outage-open" });
    demo = await startDemoFixture(server.port, "outage-open", {
      commandTimeout: COMMAND_TIMEOUT_MS,
      failurePolicy: "open",
    });
  });
  afterAll(async () => {
    await demo?.close();
    await server?.stop();
  });

  it("reads anonymously, refuses writes and logouts with 503, keeps the cookie, and the user is back after recovery", async () => {
    const browser = demo.browser();
    await browser.request("POST", "/login", { json: { user: "open" } });
    const cookie = browser.cookies.get("sid");
    process.kill(server.pid, "SIGSTOP");
    try {
      const read = await timed(() => browser.get("/api/session"));
      expect(read.result.status).toBe(200);
      expect(read.result.json<{ data: Record<string, unknown> }>().data).toEqual({});
      // A change (or a login, or a logout) that cannot be stored must not look as if it succeeded.
      const write = await timed(() => browser.request("PATCH", "/api/session", { json: { lost: true } }));
      expect(write.result.status).toBe(503);
      const logout = await timed(() => browser.request("POST", "/logout"));
      expect(logout.result.status).toBe(503);
      for (const { result, ms } of [read, write, logout]) {
        expect(ms).toBeLessThan(NO_HANG_BOUND_MS);
        // The user's cookie is neither replaced nor cleared: they are logged in again once Redis answers.
        expect(result.setCookies).toEqual([]);
      }
      expect(browser.cookies.get("sid")).toBe(cookie);
    } finally {
      process.kill(server.pid, "SIGCONT");
    }
    await expect
      .poll(async () => (await browser.get("/api/session")).json<{ data: Record<string, unknown> }>().data, {
        timeout: 5000,
        interval: 50,
      })
      .toEqual({ user: "open" });
  });
});

describe("Redis hangs under an app's own node-redis client", () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer({ name: "outage-node-redis" });
  });
  afterAll(() => server?.stop());

  it("still answers 503 within the command timeout (the store bounds every call itself)", async () => {
    const client = createClient({ url: server.url });
    await client.connect();
    const sessions = session({
      redis: client,
      secret: TEST_SECRET,
      namespace: testNamespace("outage-node-redis"),
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    const http = await listen(createServer(createDemoApp(sessions, "t")));
    try {
      const browser = new Browser(http.baseUrl);
      expect((await browser.request("POST", "/login", { json: { user: "nr" } })).status).toBe(303);
      process.kill(server.pid, "SIGSTOP");
      try {
        const { result, ms } = await timed(() => browser.get("/api/session"));
        expect(result.status).toBe(503);
        expect(ms).toBeLessThan(NO_HANG_BOUND_MS);
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
      await expect.poll(async () => (await browser.get("/api/session")).status, { timeout: 5000 }).toBe(200);
    } finally {
      await http.close();
      await sessions.close();
      client.destroy();
    }
  });
});
