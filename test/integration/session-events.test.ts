import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionOptions } from "../../src/create-session-manager.js";
import { bucketOf, RedisEventLog } from "../../src/events/event-log.js";
import { expireIfDueScript } from "../../src/events/event-scripts.js";
import type { RedisConnection } from "../../src/redis/connection/redis-connection.js";
import { RedisSessionStore } from "../../src/redis/redis-session-store.js";
import type { SessionEvent } from "../../src/session/session-events.js";
import {
  type RedisServerHandle,
  redisCommand,
  startRedisServer,
} from "../../tools/redis-harness/redis-server.js";
import { type Browser, testNamespace } from "../support/browser.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";
import { standaloneAndCluster } from "../support/shared-topologies.js";

const IDLE_MS = 1500;
/** Short timeouts so sessions really expire during the test (no fake clock: Redis TTLs are real). */
const fastExpiry = (extra: Partial<SessionOptions> = {}): Partial<SessionOptions> => ({
  idleTimeout: IDLE_MS,
  touchAfter: 200,
  events: { includeData: true, sweepInterval: 100, retainExpired: 2000 },
  ...extra,
});

async function login(
  demo: DemoFixture,
  user: string,
): Promise<{ browser: Browser; keyId: string; lastAccessAt: number }> {
  const browser = demo.browser();
  await browser.request("PATCH", "/api/session", { json: { cart: [user] } });
  expect((await browser.request("POST", "/login", { json: { user } })).status).toBe(303);
  const { meta } = (await browser.get("/api/session")).json<{
    meta: { keyId: string; lastAccessAt: string };
  }>();
  return { browser, keyId: meta.keyId, lastAccessAt: Date.parse(meta.lastAccessAt) };
}

/** Collects events into a list, from a broadcast subscription or a consumer group. */
function collector() {
  const events: SessionEvent[] = [];
  const receivedAt = new Map<string, number>();
  return {
    events,
    receivedAt,
    handler: (event: SessionEvent) => {
      events.push(event);
      if (!receivedAt.has(`${event.type}:${event.keyId}`))
        receivedAt.set(`${event.type}:${event.keyId}`, Date.now());
    },
    ofType: (type: string) => events.filter((e) => e.type === type),
  };
}

function report(label: string, delays: number[]): void {
  const sorted = [...delays].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  console.log(
    `[events] ${label}: ${sorted.length} expired events, delay after the idle deadline p50 ${at(0.5)} ms, max ${at(1)} ms`,
  );
}

const topologies = standaloneAndCluster();

for (const topology of topologies) {
  describe(`session events on ${topology.name}`, () => {
    let demo: DemoFixture;
    beforeAll(async () => {
      demo = await startDemoFixture(
        topology.port,
        "events",
        fastExpiry({ redis: topology.url }),
        topology.inspector,
      );
    });
    afterAll(() => demo?.close());

    it("publishes created, regenerated and destroyed (logout, revoked) with principal and data", async () => {
      const seen = collector();
      const subscription = demo.manager.events?.subscribe(seen.handler);
      try {
        const first = demo.browser();
        await first.request("POST", "/login", { json: { user: "eve" } });
        const { browser: second, keyId } = await login(demo, "eve");
        await first.request("POST", "/logout");
        await demo.manager.revokeAllSessions("eve");
        await expect.poll(() => seen.ofType("destroyed").length, { timeout: 5000 }).toBe(2);
        expect(seen.ofType("created").some((e) => e.principal === "eve")).toBe(true);
        const regenerated = seen.ofType("regenerated").find((e) => e.keyId === keyId);
        expect(regenerated?.principal).toBe("eve");
        expect(regenerated?.previousKeyId).toMatch(/^[A-Za-z0-9_-]{22}$/);
        const reasons = seen
          .ofType("destroyed")
          .map((e) => e.reason)
          .sort();
        expect(reasons).toEqual(["logout", "revoked"]);
        const revoked = seen.ofType("destroyed").find((e) => e.reason === "revoked");
        expect(revoked?.keyId).toBe(keyId);
        expect(revoked?.data).toEqual({ cart: '["eve"]', user: '"eve"' });
        expect((await second.get("/api/session")).json<{ data: object }>().data).toEqual({});
      } finally {
        await subscription?.stop();
      }
    });

    it("delivers an expired event for every session, from every shard, with its data", async () => {
      const seen = collector();
      const subscription = demo.manager.events?.subscribe(seen.handler);
      try {
        const sessions = await Promise.all(Array.from({ length: 30 }, (_, i) => login(demo, `exp-${i}`)));
        if (topology.name.startsWith("cluster")) {
          const client = demo.redis as Cluster;
          const shards = new Set(
            sessions.map((s) => client.slots[Number(redisKeySlot(demo.store.keys.sessionKey(s.keyId)))]?.[0]),
          );
          expect(shards.size).toBe(3);
        }
        await expect
          .poll(() => new Set(seen.ofType("expired").map((e) => e.keyId)).size, {
            timeout: 15_000,
            interval: 100,
          })
          .toBe(30);
        const expired = new Map(seen.ofType("expired").map((e) => [e.keyId, e]));
        for (const [i, session] of sessions.entries()) {
          const event = expired.get(session.keyId);
          expect(event?.reason).toBe("idle");
          expect(event?.principal).toBe(`exp-${i}`);
          expect(event?.data).toEqual({
            cart: JSON.stringify([`exp-${i}`]),
            user: JSON.stringify(`exp-${i}`),
          });
        }
        report(
          `${topology.name}, sweeper every 100 ms, broadcast`,
          sessions.map((s) => (seen.receivedAt.get(`expired:${s.keyId}`) ?? 0) - (s.lastAccessAt + IDLE_MS)),
        );
      } finally {
        await subscription?.stop();
      }
    });

    it("takes over what a failed consumer read but never acknowledged (at least once)", async () => {
      const group = `crash-${Date.now()}`;
      const survivor = collector();
      let failedReads = 0;
      const crashing = demo.manager.events?.consume({
        group,
        consumer: "crashing",
        handler: () => {
          failedReads++;
          throw new Error("this instance dies before acknowledging");
        },
        onError: () => {},
      });
      await crashing?.ready;
      const sessions = await Promise.all(Array.from({ length: 5 }, (_, i) => login(demo, `crash-${i}`)));
      await expect.poll(() => failedReads, { timeout: 10_000 }).toBeGreaterThan(0);
      await crashing?.stop();
      const rescuer = demo.manager.events?.consume({
        group,
        consumer: "rescuer",
        handler: survivor.handler,
        reclaimAfterMs: 300,
      });
      try {
        const keys = new Set(sessions.map((s) => s.keyId));
        await expect
          .poll(
            () =>
              new Set(
                survivor
                  .ofType("expired")
                  .filter((e) => keys.has(e.keyId))
                  .map((e) => e.keyId),
              ).size,
            {
              timeout: 15_000,
            },
          )
          .toBe(5);
      } finally {
        await rescuer?.stop();
      }
    });

    it("hands each event to one consumer of a group", async () => {
      const a = collector();
      const b = collector();
      const group = `g-${Date.now()}`;
      const consumers = [
        demo.manager.events?.consume({ group, consumer: "a", handler: a.handler }),
        demo.manager.events?.consume({ group, consumer: "b", handler: b.handler }),
      ];
      try {
        await Promise.all(consumers.map((consumer) => consumer?.ready)); // both joined before events flow
        const sessions = await Promise.all(Array.from({ length: 20 }, (_, i) => login(demo, `grp-${i}`)));
        const keys = new Set(sessions.map((s) => s.keyId));
        const expiredOf = (c: ReturnType<typeof collector>) =>
          c.ofType("expired").filter((e) => keys.has(e.keyId));
        await expect.poll(() => expiredOf(a).length + expiredOf(b).length, { timeout: 15_000 }).toBe(20);
        const all = [...expiredOf(a), ...expiredOf(b)].map((e) => e.keyId);
        expect(new Set(all).size).toBe(20); // no event handled twice
      } finally {
        await Promise.all(consumers.map((c) => c?.stop()));
      }
    });
  });
}

/** CLUSTER KEYSLOT computed locally: CRC16 of the hash tag, mod 16384. */
function redisKeySlot(key: string): number {
  const open = key.indexOf("{");
  const close = open === -1 ? -1 : key.indexOf("}", open + 1);
  const tagged = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe("expired events without keyspace notifications, and while nobody listened", () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    // A Redis like a managed one that forbids notify-keyspace-events: it stays off.
    server = await startRedisServer({ name: "no-notifications" });
    expect(await redisCommand(server.port, "CONFIG", "GET", "notify-keyspace-events")).toEqual([
      "notify-keyspace-events",
      "",
    ]);
  });
  afterAll(() => server?.stop());

  it("reports sessions that expired (and vanished by TTL) before any sweeper or consumer ran", async () => {
    const namespace = testNamespace("offline");
    // The app that created the sessions runs no sweeper, and keeps expired records only 100 ms.
    const writer = await startDemoFixture(server.port, "offline-writer", {
      ...fastExpiry(),
      namespace,
      events: { sweepInterval: false, retainExpired: 100 },
    });
    const sessions = await Promise.all(Array.from({ length: 15 }, (_, i) => login(writer, `off-${i}`)));
    await writer.close();
    const keys = sessions.map((s) => `sk:${namespace}:s:{${s.keyId.split(".")[0]}}${s.keyId.split(".")[1]}`);
    await expect
      .poll(
        async () =>
          (await Promise.all(keys.map((k) => redisCommand(server.port, "EXISTS", k)))).every((e) => e === 0),
        {
          timeout: 10_000,
          interval: 100,
        },
      )
      .toBe(true);
    // Later, another instance starts: its consumer group and sweeper find every one of them.
    const reader = await startDemoFixture(server.port, "offline-reader", { ...fastExpiry(), namespace });
    const seen = collector();
    const consumer = reader.manager.events?.consume({
      group: "late",
      consumer: "one",
      handler: seen.handler,
      startFrom: "0",
    });
    try {
      await expect
        .poll(() => new Set(seen.ofType("expired").map((e) => e.keyId)).size, { timeout: 10_000 })
        .toBe(15);
      for (const event of seen.ofType("expired")) expect(event.reason).toBe("ttl");
    } finally {
      await consumer?.stop();
      await reader.close();
    }
  });

  it("keeps namespaces apart: one app never sees another's events", async () => {
    const a = await startDemoFixture(server.port, "ns-ev-a", {
      ...fastExpiry(),
      namespace: testNamespace("ev-a"),
    });
    const b = await startDemoFixture(server.port, "ns-ev-b", {
      ...fastExpiry(),
      namespace: testNamespace("ev-b"),
    });
    const seenByB = collector();
    const subscription = b.manager.events?.subscribe(seenByB.handler);
    try {
      await subscription?.ready;
      const { keyId } = await login(a, "only-a");
      const inB = await login(b, "only-b");
      await expect.poll(() => seenByB.ofType("expired").length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(seenByB.events.some((e) => e.keyId === keyId)).toBe(false);
      expect(seenByB.events.every((e) => e.principal === undefined || e.principal === "only-b")).toBe(true);
      expect(seenByB.events.some((e) => e.keyId === inB.keyId)).toBe(true);
    } finally {
      await subscription?.stop();
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe("the sweeper and a logout racing it (item 10)", () => {
  it("does not put back a session that was unscheduled while the sweeper looked at it", async () => {
    const { standalone } = inject("redis");
    const store = new RedisSessionStore({ redis: standalone.url, namespace: testNamespace("sweep-race") });
    await store.verify();
    const connection = await store.redis.connection;
    const keyId = `race-${Date.now()}`;
    const scheduleKey = store.keys.scheduleKey(bucketOf(keyId));
    // The logout lands between the sweeper's expiry check (alive) and its re-scheduling.
    const racing: RedisConnection = {
      ...connection,
      async runScript(script, keys, args) {
        const result = await connection.runScript(script, keys, args);
        if (script === expireIfDueScript) await connection.command(scheduleKey, ["ZREM", scheduleKey, keyId]);
        return result;
      },
    };
    const log = new RedisEventLog(
      { ...store.redis, connection: Promise.resolve(racing) },
      {
        maxLength: 1000,
        includeData: false,
        idleTimeoutMs: 60_000,
        retainExpiredMs: 0,
        sweepIntervalMs: undefined,
      },
    );
    try {
      const now = Date.now();
      await store.write(keyId, {
        mode: "create",
        set: [
          ["$c", String(now)],
          ["$a", String(now)],
          ["$x", String(now + 3_600_000)],
        ],
        remove: [],
        ttlMs: 60_000,
      });
      // Scheduled with a deadline that activity has since moved: due now, alive when looked at.
      await log.schedule(keyId, now - 1, now);
      expect(await log.sweep(now)).toBe(0);
      expect(await connection.command(scheduleKey, ["ZSCORE", scheduleKey, keyId])).toBeNull();
    } finally {
      log.close();
      await store.remove(keyId);
      await store.close();
    }
  });
});
