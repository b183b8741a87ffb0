import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RedisServerHandle,
  redisCommand,
  startRedisServer,
} from "../../tools/redis-harness/redis-server.js";
import { Browser } from "../support/browser.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";
import { standaloneAndCluster } from "../support/shared-topologies.js";

/**
 * Rules 15 and 16, driven through the demo as a browser does: a login either happens whole or leaves the
 * session it started from exactly as it was, and a request that finds its session rotated away never
 * deletes the cookie of the login that overtook it.
 */
const clearsCookie = (setCookies: string[]) => setCookies.some((c) => /^sid=;|max-age=0/i.test(c));

for (const topology of standaloneAndCluster()) {
  describe(`logins on ${topology.name}`, () => {
    let demo: DemoFixture;
    beforeAll(async () => {
      demo = await startDemoFixture(
        topology.port,
        "rotation",
        { redis: topology.url, index: { recordDevice: true } },
        topology.inspector,
      );
    });
    afterAll(() => demo?.close());

    async function visitorWithCart(): Promise<Browser> {
      const browser = demo.browser();
      const response = await browser.request("PATCH", "/api/session", { json: { cart: ["book"] } });
      expect(response.status, response.text).toBe(200);
      return browser;
    }

    it("a slow request sent before the login does not log the user out when it ends after it (10 of 10)", async () => {
      for (let attempt = 0; attempt < 10; attempt++) {
        const browser = await visitorWithCart();
        const preLogin = browser.cookies.get("sid") as string;
        // A second tab / slow XHR with the pre-login cookie, still running when the login answers.
        const slow = new Browser(demo.baseUrl);
        slow.cookies.set("sid", preLogin);
        const pending = slow.request("PATCH", "/api/session?delay=300", { json: { seen: attempt } });
        const login = await browser.request("POST", "/login", { json: { user: `racer-${attempt}` } });
        expect(login.status).toBe(303);
        const late = await pending;
        expect(late.status).toBe(200);
        expect(clearsCookie(late.setCookies), late.setCookies.join(" | ")).toBe(false);
        // And one sent with the old cookie just after the login answered.
        const after = await slow.request("GET", "/api/session");
        expect(clearsCookie(after.setCookies)).toBe(false);
        // The browser, whose jar applies every Set-Cookie in order, is still logged in.
        const me = (await browser.get("/api/session")).json<{
          meta: { isNew: boolean };
          data: { user?: string };
        }>();
        expect(me.meta.isNew).toBe(false);
        expect(me.data.user).toBe(`racer-${attempt}`);
      }
    });

    it("the login keeps the pre-login data, and the pre-login ID stops working at the same moment", async () => {
      const browser = await visitorWithCart();
      const preLogin = browser.cookies.get("sid") as string;
      const oldKeys = await demo.keys();
      expect((await browser.request("POST", "/login", { json: { user: "ann" } })).status).toBe(303);
      const me = (await browser.get("/api/session")).json<{ data: { cart?: string[]; user?: string } }>();
      expect(me.data).toMatchObject({ cart: ["book"], user: "ann" });
      const stale = new Browser(demo.baseUrl);
      stale.cookies.set("sid", preLogin);
      expect((await stale.get("/api/session")).json<{ meta: { isNew: boolean } }>().meta.isNew).toBe(true);
      const keys = await demo.keys();
      expect(keys.filter((k) => !oldKeys.includes(k))).toHaveLength(1);
      expect(keys.length).toBe(oldKeys.length);
    });

    it("logout still clears the cookie it ended, and a planted method name cannot block a later login", async () => {
      const browser = await visitorWithCart();
      const planted = await browser.request("PATCH", "/api/session", { json: { setPrincipal: 1 } });
      expect(planted.status).toBe(400);
      expect(planted.json()).toMatchObject({ code: "SESSION_INVALID_STATE" });
      expect((await browser.request("POST", "/login", { json: { user: "victim" } })).status).toBe(303);
      const logout = await browser.request("POST", "/logout");
      expect(clearsCookie(logout.setCookies)).toBe(true);
      expect(browser.cookies.has("sid")).toBe(false);
    });
  });
}

describe("a login whose write fails (Redis out of memory, noeviction)", () => {
  let server: RedisServerHandle;
  let demo: DemoFixture;
  beforeAll(async () => {
    server = await startRedisServer({ name: "rotation-oom", args: ["--maxmemory-policy", "noeviction"] });
    demo = await startDemoFixture(server.port, "oom");
  });
  afterAll(async () => {
    await demo?.close();
    await server?.stop();
  });

  it("answers 503 and leaves the session it started from exactly as it was", async () => {
    const browser = demo.browser();
    await browser.request("PATCH", "/api/session", { json: { cart: ["book", "pen"] } });
    const before = (await browser.get("/api/session")).json<{ meta: { keyId: string }; data: unknown }>();
    const keysBefore = await demo.keys();
    // Full: every command that allocates is refused, as on a managed Redis at its limit.
    await redisCommand(server.port, "CONFIG", "SET", "maxmemory", "1");
    try {
      const login = await browser.request("POST", "/login", { json: { user: "ann" } });
      expect(login.status).toBe(503);
      expect(clearsCookie(login.setCookies)).toBe(false);
    } finally {
      await redisCommand(server.port, "CONFIG", "SET", "maxmemory", "0");
    }
    const after = (await browser.get("/api/session")).json<{
      meta: { keyId: string; isNew: boolean };
      data: unknown;
    }>();
    expect(after.meta).toMatchObject({ keyId: before.meta.keyId, isNew: false });
    expect(after.data).toEqual(before.data);
    expect((await demo.keys()).sort()).toEqual(keysBefore.sort());
    // And the login works once Redis has room again.
    expect((await browser.request("POST", "/login", { json: { user: "ann" } })).status).toBe(303);
  });
});
