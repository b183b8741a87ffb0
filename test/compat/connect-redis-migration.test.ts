import { RedisStore as ConnectRedisStore } from "connect-redis";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { HANDLE_PREFIX, RedisStore } from "../../src/compat/express-session/index.js";
import { hashSessionId } from "../../src/session/session-id.js";
import { Client } from "../adapters/client.js";
import { testNamespace } from "../support/browser.js";
import { sidOf, startExpressSessionApp } from "./express-session-support.js";

const { standalone } = inject("redis");

/**
 * A running app on express-session + the real connect-redis switches its store to sessionkit's with one
 * changed import: its users stay logged in. connect-redis's own prefix is made unique here, so this file
 * never meets another's "sess:" keys on the shared Redis.
 */
describe("moving from connect-redis", () => {
  const namespace = testNamespace("migration");
  const prefix = `${namespace}-sess:`;
  let nodeRedis: ReturnType<typeof createClient>;
  let inspector: Redis;
  beforeAll(async () => {
    nodeRedis = createClient({ url: standalone.url });
    await nodeRedis.connect();
    inspector = new Redis(standalone.port, "127.0.0.1");
  });
  afterAll(async () => {
    nodeRedis?.destroy();
    inspector?.disconnect();
  });

  /** Logs a user in on the connect-redis app; returns their browser and session ID. */
  async function loginOnConnectRedis(user: string) {
    const before = await startExpressSessionApp(new ConnectRedisStore({ client: nodeRedis, prefix }));
    try {
      const browser = new Client(before.transport);
      expect((await browser.post(`/login?user=${user}`)).status).toBe(303);
      const sid = sidOf(browser);
      expect(JSON.parse((await inspector.get(`${prefix}${sid}`)) ?? "null")).toMatchObject({ user });
      return { browser, sid };
    } finally {
      await before.close();
    }
  }

  it("keeps users logged in and moves each session under a hashed key on its first read", async () => {
    const { browser, sid } = await loginOnConnectRedis("carried-over");
    const legacyTtl = await inspector.ttl(`${prefix}${sid}`);
    // The one-line change: the store (the same ioredis or node-redis client works for both).
    const store = new RedisStore({ client: nodeRedis, namespace, prefix });
    const after = await startExpressSessionApp(store);
    try {
      const moved = new Client(after.transport);
      for (const [name, value] of browser.cookies) moved.cookies.set(name, value);
      expect((await moved.get("/session")).json()).toEqual({ data: { user: "carried-over" }, sid });
      expect(await inspector.exists(`${prefix}${sid}`)).toBe(0);
      const key = store.keyOf(sid);
      expect(await inspector.ttl(key)).toBeGreaterThan(legacyTtl - 5);
      // Changes from now on land under the new key only.
      await moved.post("/set?cart=3");
      expect(JSON.parse((await inspector.get(key)) ?? "null")).toMatchObject({
        user: "carried-over",
        cart: "3",
      });
      expect(await inspector.exists(`${prefix}${sid}`)).toBe(0);
      expect((await moved.post("/logout")).status).toBe(303);
      expect(await inspector.exists(key)).toBe(0);
    } finally {
      await after.close();
    }
  });

  it("destroys a session that was never moved, in both places", async () => {
    const { sid } = await loginOnConnectRedis("never-read");
    const store = new RedisStore({ client: nodeRedis, namespace, prefix });
    await store.destroy(sid);
    expect(await inspector.exists(`${prefix}${sid}`)).toBe(0);
    expect(await store.get(sid)).toBeNull();
  });

  it("lists and clears connect-redis's sessions too while its prefix is read", async () => {
    const listingNamespace = testNamespace("migration-list");
    const listingPrefix = `${listingNamespace}-sess:`;
    const legacy = new ConnectRedisStore({ client: nodeRedis, prefix: listingPrefix });
    await legacy.set("legacy-one", {
      cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) },
    });
    const store = new RedisStore({ client: nodeRedis, namespace: listingNamespace, prefix: listingPrefix });
    await store.set("new-one", {
      cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) },
    });
    expect((await store.ids()).sort()).toEqual(
      [HANDLE_PREFIX + hashSessionId("new-one"), "legacy-one"].sort(),
    );
    expect(await store.length()).toBe(2);
    await store.clear();
    expect(await store.length()).toBe(0);
    expect(await inspector.exists(`${listingPrefix}legacy-one`)).toBe(0);
  });

  it("does not read connect-redis's keys once the prefix is turned off", async () => {
    const { sid } = await loginOnConnectRedis("left-behind");
    const store = new RedisStore({ client: nodeRedis, namespace, prefix: false });
    expect(await store.get(sid)).toBeNull();
    expect(await inspector.exists(`${prefix}${sid}`)).toBe(1);
  });
});
