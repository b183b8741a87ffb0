import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createSessionAdmin,
  foldKeyPattern,
  type ScanPosition,
  type SessionAdmin,
} from "../../src/admin/index.js";
import {
  type RedisServerHandle,
  redisCommand,
  startRedisServer,
} from "../../tools/redis-harness/redis-server.js";
import { type Browser, TEST_SECRET } from "../support/browser.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";
import { standaloneAndCluster, type TopologyCase } from "../support/shared-topologies.js";

const { sentinel, cluster, replicated } = inject("redis");

/** The four topologies the admin API serves: scans must visit every primary of the cluster. */
const topologies: TopologyCase[] = [
  ...standaloneAndCluster(),
  {
    name: "primary + replica",
    port: replicated.primary,
    url: `redis://127.0.0.1:${replicated.primary}?replica=127.0.0.1:${replicated.replica}`,
    inspector: undefined,
  },
  {
    name: "sentinel",
    port: sentinel.primary,
    url: `redis+sentinel://127.0.0.1:${sentinel.sentinelPort}/${sentinel.masterName}`,
    inspector: undefined,
  },
];

/** How many of the cluster's primaries hold no session of the namespace. */
async function primariesWithoutSessions(namespace: string): Promise<number> {
  let empty = 0;
  for (const port of cluster.primaries) {
    const keys = (await redisCommand(port, "KEYS", `sk:${namespace}:s:*`)) as string[];
    if (keys.length === 0) empty++;
  }
  return empty;
}

const USERS = 4;
const SESSIONS_PER_USER = 3;
const ANONYMOUS = 5;

for (const topology of topologies) {
  describe(`admin API on ${topology.name}`, () => {
    let demo: DemoFixture;
    let admin: SessionAdmin;
    const browsers = new Map<string, Browser[]>();
    const anonymous: Browser[] = [];

    beforeAll(async () => {
      demo = await startDemoFixture(
        topology.port,
        "admin",
        { redis: topology.url, events: { sweepInterval: false } },
        topology.inspector ?? (() => new Redis(topology.port, "127.0.0.1")),
      );
      for (let u = 0; u < USERS; u++) {
        const user = `user-${u}`;
        const list: Browser[] = [];
        for (let s = 0; s < SESSIONS_PER_USER; s++) {
          const browser = demo.browser();
          expect((await browser.request("POST", "/login", { json: { user } })).status).toBe(303);
          list.push(browser);
        }
        browsers.set(user, list);
      }
      const addAnonymous = async () => {
        const browser = demo.browser();
        const cart = [anonymous.length, "x".repeat(80)];
        expect((await browser.request("PATCH", "/api/session", { json: { cart } })).status).toBe(200);
        anonymous.push(browser);
      };
      for (let a = 0; a < ANONYMOUS; a++) await addAnonymous();
      // On the cluster, more until every primary holds a session: the scan must find them on each.
      while (topology.name.startsWith("cluster") && (await primariesWithoutSessions(demo.namespace)) > 0) {
        await addAnonymous();
      }
      admin = createSessionAdmin({ redis: topology.url, namespace: demo.namespace, secret: TEST_SECRET });
    });
    afterAll(async () => {
      await admin?.close();
      await demo?.close();
    });

    it("doctor passes every check on a healthy topology", async () => {
      const { checks } = await admin.doctor({ pings: 5, ttlSample: 200 });
      const names = checks.map((c) => c.name);
      expect(names).toEqual(
        expect.arrayContaining(["connection", "topology", "version", "maxmemory", "acl", "latency"]),
      );
      expect(checks.filter((c) => c.status === "fail")).toEqual([]);
      if (topology.name.startsWith("cluster")) {
        expect(checks.find((c) => c.name === "cluster_state")?.status).toBe("ok");
        expect(checks.find((c) => c.name === "topology")?.message).toMatch(
          /cluster: .*primary.*primary.*primary/,
        );
      }
      if (topology.name === "sentinel") {
        // The primary Sentinel named, not the client's default address.
        expect(checks.find((c) => c.name === "topology")?.message).toMatch(
          new RegExp(`^sentinel: [^ ]*:${sentinel.primary} primary, replicas [^ ]*:${sentinel.replica}`),
        );
      }
    });

    it("stats counts every session and principal exactly, on every primary", async () => {
      const stats = await admin.stats({ count: 10, memorySample: 3 });
      expect(stats.sessions).toBe(USERS * SESSIONS_PER_USER + anonymous.length);
      expect(stats.principals).toBe(USERS);
      expect(stats.bytesPerSession).toBeGreaterThan(50);
      expect(stats.estimated).toBe(true); // 3 per primary measured, the rest extrapolated
      expect(stats.histograms.ttl.count).toBe(stats.sessions);
      expect(stats.histograms.size.count).toBe(stats.sessions);
      expect(stats.histograms.idle.count).toBe(stats.sessions);
      expect(stats.events.length).toBeGreaterThanOrEqual(stats.sessions); // a "created" event each
      if (topology.name.startsWith("cluster")) expect(await primariesWithoutSessions(demo.namespace)).toBe(0);
    });

    it("inspects a session by cookie, by session ID, by handle and by key, never showing the ID", async () => {
      const cookie = (browsers.get("user-1") as Browser[])[0]?.cookies.get("sid") as string;
      const id = cookie.slice(0, cookie.lastIndexOf("."));
      const keyId = await admin.resolve(cookie);
      expect(keyId).not.toBeNull();
      const session = await admin.inspect(keyId as string);
      expect(session?.data.user).toBe("user-1");
      expect(session?.meta.principal).toBe("user-1");
      expect(session?.ttlMs).toBeGreaterThan(0);
      expect(JSON.stringify(session)).not.toContain(id.slice(8));
      expect(await admin.resolve(id)).toBe(keyId);
      expect(await admin.resolve(session?.handle as string)).toBe(keyId); // found by SCAN
      expect(await admin.resolve(session?.handle as string, { principal: "user-1" })).toBe(keyId);
      expect(await admin.resolve(session?.key as string)).toBe(keyId);
      const redacted = await admin.inspect(keyId as string, { redact: true });
      expect(redacted?.data.user).toEqual({ type: "string", bytes: '"user-1"'.length });
    });

    it("answers bad input clearly: garbage, a cookie that does not verify, a handle that does not exist", async () => {
      await expect(admin.resolve("not a session")).rejects.toThrow(/not a session/);
      const cookie = anonymous[0]?.cookies.get("sid") as string;
      const forged = `${cookie.slice(0, cookie.lastIndexOf("."))}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
      await expect(admin.resolve(forged)).rejects.toThrow(/does not verify/);
      expect(await admin.resolve("AAAAAAAAAAAAAAAAAAAAAA")).toBeNull();
      // Something that is not a session record under a session key: found, shown as corrupt, revocable.
      const corruptKey = demo.redisKey("CCCCCCCCCCCCCCCCCCCCCC");
      await (demo.redis as Redis).set(corruptKey, "not a record", "PX", 60_000);
      const keyId = await admin.resolve(corruptKey);
      expect(await admin.inspect(keyId as string)).toMatchObject({
        key: corruptKey,
        corrupt: true,
        data: {},
      });
      expect(await admin.revokeSession(keyId as string)).toBe(1);
      expect(await admin.resolve(corruptKey)).toBeNull();
    });

    it("revokes one session through the library (its browser is anonymous after) and publishes the event", async () => {
      const [victim, survivor] = browsers.get("user-2") as Browser[];
      const keyId = await admin.resolve(victim?.cookies.get("sid") as string);
      expect(await admin.revokeSession(keyId as string)).toBe(1);
      expect(
        (await (victim as Browser).get("/api/session")).json<{ data: { user?: string } }>().data.user,
      ).toBeUndefined();
      expect(
        (await (survivor as Browser).get("/api/session")).json<{ data: { user?: string } }>().data.user,
      ).toBe("user-2");
      const events = [];
      for await (const event of admin.events({ since: Date.now() - 60_000 })) events.push(event);
      expect(events).toContainEqual(expect.objectContaining({ type: "destroyed", keyId, reason: "revoked" }));
      // An anonymous session (no principal) is revoked too.
      const anonymousKeyId = await admin.resolve(anonymous[1]?.cookies.get("sid") as string);
      expect(await admin.revokeSession(anonymousKeyId as string)).toBe(1);
      expect(await admin.inspect(anonymousKeyId as string)).toBeNull();
    });

    it("lists and revokes all of a principal's sessions", async () => {
      const listed = await admin.listSessions("user-3", { idleTimeout: "1d" });
      expect(listed).toHaveLength(SESSIONS_PER_USER);
      expect(listed[0]?.idleDeadline).toBe((listed[0]?.lastAccessAt as number) + 86_400_000);
      expect(await admin.revokePrincipal("user-3")).toBe(SESSIONS_PER_USER);
      expect(await admin.listSessions("user-3")).toEqual([]);
      for (const browser of browsers.get("user-3") as Browser[]) {
        expect(
          (await browser.get("/api/session")).json<{ data: { user?: string } }>().data.user,
        ).toBeUndefined();
      }
    });

    it("finds planted keys without a TTL of other patterns, fixes them, and leaves keys with a TTL alone", async () => {
      const prefix = `audit-${demo.namespace}`;
      const planted = [
        ...Array.from({ length: 6 }, (_, i) => `${prefix}:_session_id:2::${"ab12cd34ef".repeat(3)}${i}`),
        ...Array.from({ length: 4 }, (_, i) => `${prefix}:user:${1000 + i}:profile`),
      ];
      const ask = demo.redis as Redis;
      for (const key of planted) await ask.set(key, "v");
      await ask.set(`${prefix}:kept:1234`, "v", "PX", 3_600_000);
      const match = `${prefix}:*`;
      const audit = await admin.auditTtls({ match, count: 50 });
      expect(audit.withoutTtl).toBe(planted.length);
      expect(audit.groups).toEqual([
        { pattern: `${foldKeyPattern(prefix)}:_session_id:2::*`, keys: 6, bytes: expect.any(Number) },
        { pattern: `${foldKeyPattern(prefix)}:user:*:profile`, keys: 4, bytes: expect.any(Number) },
      ]);
      const fixed = await admin.auditTtls({ match, fixTtlMs: 60_000 });
      expect(fixed.fixed).toBe(planted.length);
      expect((await admin.auditTtls({ match })).withoutTtl).toBe(0);
      expect(await ask.pttl(`${prefix}:kept:1234`)).toBeGreaterThan(3_000_000);
      for (const key of [...planted, `${prefix}:kept:1234`]) await ask.del(key);
    });

    it("purges the namespace and nothing else", async () => {
      const other = `sk:other-${demo.namespace}:s:{x}`;
      await (demo.redis as Redis).set(other, "v", "PX", 60_000);
      const purged = await admin.purge({ count: 20 });
      expect(purged.deleted).toBeGreaterThan(USERS * SESSIONS_PER_USER);
      const after = await admin.stats();
      expect([after.sessions, after.principals, after.events.length]).toEqual([0, 0, 0]);
      expect(await (demo.redis as Redis).exists(other)).toBe(1);
      await (demo.redis as Redis).del(other);
    });
  });
}

describe("admin API: scans are cancellable and paced", () => {
  const [standalone] = standaloneAndCluster();
  it("stops between batches when the signal aborts, and keeps to the rate", async () => {
    const admin = createSessionAdmin({ redis: standalone?.url as string, namespace: "pacing" });
    const port = standalone?.port as number;
    const prefix = `pacing-${process.pid}`;
    for (let i = 0; i < 500; i += 100) {
      const pairs = Array.from({ length: 100 }, (_, j) => [`${prefix}:${i + j}`, "v"]).flat();
      await redisCommand(port, "MSET", ...pairs);
    }
    try {
      const controller = new AbortController();
      let batches = 0;
      const audit = admin.auditTtls({
        match: `${prefix}:*`,
        count: 20,
        signal: controller.signal,
        onProgress: () => {
          if (++batches === 2) controller.abort(new Error("stop"));
        },
      });
      await expect(audit).rejects.toThrow("stop");
      expect(batches).toBe(2);
      const started = performance.now();
      const paced = await admin.auditTtls({ match: `${prefix}:*`, count: 100, rate: 2000 });
      expect(paced.withoutTtl).toBe(500);
      // 500 keys at 2000 keys/s: about 250 ms, less the last batch, which is not waited for.
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
      // A --fix stopped after 3 batches goes on from its last position and leaves nothing behind.
      const stop = new AbortController();
      let position: ScanPosition | null = null;
      let seen = 0;
      const stopped = admin.auditTtls({
        match: `${prefix}:*`,
        count: 20,
        fixTtlMs: 60_000,
        signal: stop.signal,
        onProgress: (progress) => {
          position = progress.resume;
          seen = progress.scanned;
          if (seen >= 60) stop.abort(new Error("stop"));
        },
      });
      await expect(stopped).rejects.toThrow("stop");
      expect(position).not.toBeNull();
      const rest = await admin.auditTtls({
        match: `${prefix}:*`,
        fixTtlMs: 60_000,
        resume: position as unknown as ScanPosition,
      });
      expect(rest.withoutTtl).toBe(rest.fixed);
      expect(seen + rest.scanned).toBeGreaterThanOrEqual(500);
      expect(rest.scanned).toBeLessThan(500);
      expect((await admin.auditTtls({ match: `${prefix}:*` })).withoutTtl).toBe(0);
    } finally {
      await admin.close();
      for (let i = 0; i < 500; i += 100) {
        await redisCommand(port, "DEL", ...Array.from({ length: 100 }, (_, j) => `${prefix}:${i + j}`));
      }
    }
  });
});

describe("admin API: doctor's verdicts on a Redis that will hurt sessions", () => {
  let risky: RedisServerHandle;
  beforeAll(async () => {
    risky = await startRedisServer({
      name: "doctor-risky",
      args: ["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru", "--save", ""],
    });
  });
  afterAll(() => risky?.stop());

  it("warns about allkeys-* and fails on a key of ours without a TTL (rule 1)", async () => {
    await redisCommand(risky.port, "SET", "sk:default:s:{immortal}", "x");
    await redisCommand(risky.port, "SET", "legacy:cache:12345", "x");
    const admin = createSessionAdmin({ redis: `redis://127.0.0.1:${risky.port}` });
    try {
      const { checks } = await admin.doctor({ pings: 2 });
      const byName = new Map(checks.map((c) => [c.name, c]));
      expect(byName.get("maxmemory")).toMatchObject({ status: "warn", message: /allkeys-lru.*volatile-lru/ });
      expect(byName.get("keys_without_ttl")).toMatchObject({
        status: "fail",
        message: /1 of them are sessionkit's.*2 of 2 sampled keys have no TTL/,
      });
    } finally {
      await admin.close();
    }
  });

  it("names each command the Redis user may not run: the request path's fail, the events' warn", async () => {
    const user = `doctor-acl-${process.pid}`;
    const allowed = ["+get", "+set", "+del", "+type", "+pttl", "+zadd", "+zrem", "+zrange", "+zscore"];
    const more = ["+evalsha", "+eval", "+scan", "+ping", "+info", "+role", "+config|get", "+wait"];
    await redisCommand(risky.port, "ACL", "SETUSER", user, "on", ">pw", "~sk:*", ...allowed, ...more);
    const admin = createSessionAdmin({ redis: `redis://${user}:pw@127.0.0.1:${risky.port}` });
    try {
      const { checks } = await admin.doctor({ pings: 2 });
      expect(checks.find((c) => c.name === "acl")).toEqual({
        name: "acl",
        status: "fail",
        message: expect.stringMatching(
          /may not run \+pexpire: every session request needs them.*the events option needs \+xack \+xadd \+xautoclaim \+xgroup \+xread \+xreadgroup \+xrevrange \+zrangebyscore$/,
        ),
      });
    } finally {
      await admin.close();
    }
  });

  it("fails the topology check when given a replica", async () => {
    const admin = createSessionAdmin({ redis: `redis://127.0.0.1:${replicated.replica}` });
    try {
      const { checks } = await admin.doctor({ pings: 2 });
      expect(checks.find((c) => c.name === "topology")).toMatchObject({
        status: "fail",
        message: new RegExp(
          `127.0.0.1:${replicated.replica} is a slave \\(of 127.0.0.1:${replicated.primary}\\)`,
        ),
      });
    } finally {
      await admin.close();
    }
  });
});
