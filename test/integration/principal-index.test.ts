import { Cluster, type Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionOptions } from "../../src/create-session-manager.js";
import { principalIndexId } from "../../src/session/session-id.js";
import type { Browser } from "../support/browser.js";
import { testNamespace } from "../support/browser.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";
import { standaloneAndCluster } from "../support/shared-topologies.js";

const { standalone } = inject("redis");

interface Device {
  handle: string;
  current: boolean;
  userAgent?: string;
  ip?: string;
}

const topologies = standaloneAndCluster();

for (const topology of topologies) {
  describe(`principal index on ${topology.name}`, () => {
    let demo: DemoFixture;
    let clockOffsetMs = 0;
    const options: Partial<SessionOptions> = {
      redis: topology.url,
      idleTimeout: "30m",
      touchAfter: "1m",
      index: { recordDevice: true },
      now: () => Date.now() + clockOffsetMs,
    };
    beforeAll(async () => {
      demo = await startDemoFixture(topology.port, "index", options, topology.inspector);
    });
    afterAll(() => demo?.close());

    async function login(user: string, userAgent = "test-agent"): Promise<Browser> {
      const browser = demo.browser();
      const response = await browser.request("POST", "/login", {
        json: { user },
        headers: { "user-agent": userAgent },
      });
      expect(response.status).toBe(303);
      return browser;
    }
    const devicesOf = async (browser: Browser) =>
      (await browser.get("/api/devices")).json<{ devices: Device[] }>().devices;
    const userOf = async (browser: Browser) =>
      (await browser.get("/api/session")).json<{ data: { user?: string } }>().data.user;

    it("lists a user's sessions with device data, marks the current one, and hides the session ID", async () => {
      const user = `list-${topology.name}`;
      const laptop = await login(user, "laptop-browser");
      const phone = await login(user, "phone-browser");
      await login("someone-else");
      const devices = await devicesOf(laptop);
      expect(devices).toHaveLength(2);
      expect(devices.filter((d) => d.current)).toHaveLength(1);
      expect(devices.find((d) => d.current)?.userAgent).toBe("laptop-browser");
      expect(devices.map((d) => d.userAgent).sort()).toEqual(["laptop-browser", "phone-browser"]);
      expect(devices[0]?.ip).toMatch(/127\.0\.0\.1/);
      // A handle is not the session ID, nor part of the cookie.
      for (const device of devices) {
        expect(laptop.cookies.get("sid")).not.toContain(device.handle);
        expect(phone.cookies.get("sid")).not.toContain(device.handle);
      }
      expect((await demo.browser().get("/api/devices")).status).toBe(401);
    });

    it("stores a login that sets nothing but the principal", async () => {
      const session = await demo.manager.load({ cookieHeader: undefined, secure: false });
      await session.setPrincipal(`bare-${topology.name}`);
      const setCookie = await demo.manager.commit(session);
      expect(setCookie).toMatch(/^sid=/);
      expect(await demo.manager.listSessions(`bare-${topology.name}`)).toHaveLength(1);
      await expect(session.setPrincipal("")).rejects.toThrow(/principal must be a string/);
    });

    it("revokes one session by handle, only within the user's own sessions", async () => {
      const user = `one-${topology.name}`;
      const laptop = await login(user);
      const phone = await login(user);
      const stranger = await login(`stranger-${topology.name}`);
      const phoneHandle = (await devicesOf(laptop)).find((d) => !d.current)?.handle as string;
      // Someone else's handle does nothing.
      const foreign = await stranger.request("POST", "/api/devices/revoke", {
        json: { handle: phoneHandle },
      });
      expect(foreign.json()).toEqual({ revoked: 0 });
      expect(await userOf(phone)).toBe(user);
      const revoke = await laptop.request("POST", "/api/devices/revoke", { json: { handle: phoneHandle } });
      expect(revoke.json()).toEqual({ revoked: 1 });
      expect(await userOf(phone)).toBeUndefined();
      expect(await userOf(laptop)).toBe(user);
      expect((await laptop.request("POST", "/api/devices/revoke", { json: { nonsense: 1 } })).status).toBe(
        400,
      );
    });

    it("revokes all sessions, or all but the current one", async () => {
      const user = `all-${topology.name}`;
      const browsers = [await login(user), await login(user), await login(user)];
      const [keeper, ...others] = browsers as [Browser, ...Browser[]];
      const except = await keeper.request("POST", "/api/devices/revoke", {
        json: { all: true, exceptCurrent: true },
      });
      expect(except.json()).toEqual({ revoked: 2 });
      for (const other of others) expect(await userOf(other)).toBeUndefined();
      expect(await userOf(keeper)).toBe(user);
      const all = await keeper.request("POST", "/api/devices/revoke", {
        json: { all: true, exceptCurrent: false },
      });
      expect(all.json()).toEqual({ revoked: 1 });
      expect(await userOf(keeper)).toBeUndefined();
    });

    it("revoke-all racing concurrent logins leaves no session created before it", async () => {
      const user = `race-${topology.name}`;
      for (let round = 0; round < 5; round++) {
        await Promise.all(Array.from({ length: 5 }, () => login(user)));
        const logins = Array.from({ length: 20 }, () => login(user));
        await new Promise((resolve) => setTimeout(resolve, 3));
        const revokeStarted = Date.now() + clockOffsetMs;
        await demo.manager.revokeAllSessions(user);
        const browsers = await Promise.all(logins);
        const indexed = new Set((await demo.manager.listSessions(user)).map((d) => d.handle));
        for (const browser of browsers) {
          const state = (await browser.get("/api/session")).json<{
            data: { user?: string };
            meta: { keyId: string; createdAt: string };
          }>();
          if (state.data.user === undefined) continue;
          // A survivor was created after the revoke began, and the index knows it (no orphan).
          expect(Date.parse(state.meta.createdAt)).toBeGreaterThanOrEqual(revokeStarted - 5);
          expect(indexed.has(state.meta.keyId.split(".")[1] as string)).toBe(true);
        }
        await demo.manager.revokeAllSessions(user);
        expect(await demo.manager.listSessions(user)).toEqual([]);
      }
    });

    it("prunes ended sessions from the index when read, and the index has a TTL", async () => {
      const user = `prune-${topology.name}`;
      const early = await login(user);
      const indexKey = demo.store.keys.principalIndexKey(principalIndexId(user));
      expect(await demo.redis.pttl(indexKey)).toBeGreaterThan(0);
      clockOffsetMs += 20 * 60_000;
      const late = await login(user);
      expect(await demo.redis.zcard(indexKey)).toBe(2);
      clockOffsetMs += 15 * 60_000; // the early session is now idle for 35 minutes
      const devices = await demo.manager.listSessions(user, undefined);
      expect(devices).toHaveLength(1);
      expect(await demo.redis.zcard(indexKey)).toBe(1);
      expect(await userOf(early)).toBeUndefined();
      expect(await userOf(late)).toBe(user);
      // A session whose record vanished (TTL) is pruned too.
      await demo.redis.del(
        demo.store.keys.principalSessionPrefix(principalIndexId(user)) + (devices[0]?.handle ?? ""),
      );
      expect(await demo.manager.listSessions(user)).toEqual([]);
      expect(await demo.redis.zcard(indexKey)).toBe(0);
      clockOffsetMs = 0;
    });

    it("leaves no session or index key without a TTL", async () => {
      await login(`ttl-${topology.name}`);
      const keys = new Set<string>();
      const nodes = demo.redis instanceof Cluster ? demo.redis.nodes("master") : [demo.redis as Redis];
      for (const node of nodes) {
        let cursor = "0";
        do {
          const [next, batch] = await node.scan(
            cursor,
            "MATCH",
            `${demo.store.keys.namespacePrefix}*`,
            "COUNT",
            500,
          );
          cursor = next;
          for (const key of batch) keys.add(key);
        } while (cursor !== "0");
      }
      expect([...keys].some((k) => k.includes(":p:"))).toBe(true);
      for (const key of keys) expect(await demo.redis.pttl(key), key).toBeGreaterThan(0);
    });
  });
}

describe("namespaces keep indexes apart", () => {
  it("a principal's sessions in one app are invisible to another app on the same Redis", async () => {
    const shared = { redis: standalone.url };
    const a = await startDemoFixture(standalone.port, "ns-a", {
      ...shared,
      namespace: testNamespace("ns-a"),
    });
    const b = await startDemoFixture(standalone.port, "ns-b", {
      ...shared,
      namespace: testNamespace("ns-b"),
    });
    try {
      await a.browser().request("POST", "/login", { json: { user: "alice" } });
      await b.browser().request("POST", "/login", { json: { user: "alice" } });
      expect(await a.manager.listSessions("alice")).toHaveLength(1);
      expect(await b.manager.revokeAllSessions("alice")).toBe(1);
      expect(await a.manager.listSessions("alice")).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
