import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SessionConfigError } from "../../src/common/errors.js";
import { RedisStore } from "../../src/redis/redis-session-store.js";
import {
  type RedisServerHandle,
  redisCommand,
  startRedisServer,
} from "../../tools/redis-harness/redis-server.js";
import { testNamespace } from "../support/browser.js";

const { replicated, sentinel, cluster, standalone } = inject("redis");

async function verifyError(redis: string): Promise<SessionConfigError> {
  const store = new RedisStore({ redis, namespace: testNamespace("checks"), commandTimeout: 1000 });
  try {
    await store.verify();
    throw new Error("verify() should have rejected");
  } catch (error) {
    expect(error).toBeInstanceOf(SessionConfigError);
    // Every command fails with the same clear error, not with a timeout.
    await expect(store.load("x")).rejects.toBe(error);
    return error as SessionConfigError;
  } finally {
    await store.close();
  }
}

describe("start-up checks refuse a Redis that cannot serve sessions", () => {
  const servers: RedisServerHandle[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("a replica given as the write endpoint", async () => {
    const error = await verifyError(`redis://127.0.0.1:${replicated.replica}`);
    expect(error.message).toBe(
      `Redis at 127.0.0.1:${replicated.replica} is a read-only replica (of 127.0.0.1:${replicated.primary}): sessions are written to the primary. Give the primary's address, or use redis+sentinel:// so the client finds it.`,
    );
  });

  it("a Sentinel that does not know the master", async () => {
    const error = await verifyError(`redis+sentinel://127.0.0.1:${sentinel.sentinelPort}/nosuchmaster`);
    expect(error.message).toBe(
      `Sentinel 127.0.0.1:${sentinel.sentinelPort} does not know a master named "nosuchmaster" (it monitors: mymaster)`,
    );
  });

  it("a cluster in cluster_state:fail (one primary + one replica, no slots)", async () => {
    const args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"];
    const [primary, replica] = await Promise.all([
      startRedisServer({ name: "broken-cluster-1", args }),
      startRedisServer({ name: "broken-cluster-2", args }),
    ]);
    servers.push(primary, replica);
    await redisCommand(primary.port, "CLUSTER", "MEET", "127.0.0.1", String(replica.port));
    const error = await verifyError(`redis+cluster://127.0.0.1:${primary.port},127.0.0.1:${replica.port}`);
    expect(error.message).toBe(
      `Redis Cluster node 127.0.0.1:${primary.port} reports cluster_state:fail (0/16384 slots assigned): the cluster cannot serve requests. Redis needs at least 3 primaries covering every slot (redis-cli --cluster create ... --cluster-replicas 1) and a majority of them reachable.`,
    );
  });

  it("a cluster node given as a standalone URL, and a standalone Redis given as a cluster", async () => {
    const asStandalone = await verifyError(`redis://127.0.0.1:${cluster.primaries[0]}`);
    expect(asStandalone.message).toMatch(/is a Redis Cluster node: use a redis\+cluster:\/\//);
    const asCluster = await verifyError(`redis+cluster://127.0.0.1:${standalone.port}`);
    expect(asCluster.message).toBe(
      `Redis at 127.0.0.1:${standalone.port} is not a cluster node (cluster support disabled): use a redis:// URL for a standalone Redis.`,
    );
  });

  it("malformed topology URLs", () => {
    for (const [url, message] of [
      ["redis+sentinel://127.0.0.1:1", /needs the master name/],
      ["redis+cluster://127.0.0.1:1/0", /takes no database/],
      ["redis://a:1,b:2", /takes one host/],
      ["redis://127.0.0.1:99999", /cannot read "127.0.0.1:99999"/],
      ["redis://u:secret@127.0.0.1:notaport", /cannot read "127\.0\.0\.1:notaport"/],
    ] as const) {
      expect(() => new RedisStore({ redis: url })).toThrow(message);
    }
  });
});

describe("maxmemory-policy check", () => {
  const servers: RedisServerHandle[] = [];
  let warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  beforeAll(() => {
    process.on("warning", onWarning);
  });
  afterAll(async () => {
    process.off("warning", onWarning);
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function reportFor(args: string[], url = (port: number) => `redis://127.0.0.1:${port}`) {
    const server = await startRedisServer({ name: "maxmemory", args });
    servers.push(server);
    warnings = [];
    const store = new RedisStore({ redis: url(server.port), namespace: testNamespace("maxmemory") });
    try {
      const report = await store.verify();
      await store.load("x"); // warnings are emitted once the store is first used
      return { report, port: server.port };
    } finally {
      await store.close();
    }
  }

  it("warns about noeviction, with the exact message, also as a process warning", async () => {
    const { report, port } = await reportFor(["--maxmemory", "100mb", "--maxmemory-policy", "noeviction"]);
    const expected = `127.0.0.1:${port}: maxmemory-policy is "noeviction": when memory is full Redis refuses every write, so logins and session changes fail (OOM). Use volatile-lru or volatile-ttl: every session key has a TTL, so sessions are evictable and other keys without a TTL are kept.`;
    expect(report.warnings).toEqual([expected]);
    await expect.poll(() => warnings).toContain(expected);
  });

  it("warns about allkeys-*", async () => {
    const { report, port } = await reportFor(["--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"]);
    expect(report.warnings).toEqual([
      `127.0.0.1:${port}: maxmemory-policy is "allkeys-lru": under memory pressure Redis evicts any key, including live sessions and keys of other apps that have no TTL. Use volatile-lru or volatile-ttl: sessions always have TTLs, so the volatile family is the safe one.`,
    ]);
  });

  it("is quiet about the volatile family", async () => {
    const { report, port } = await reportFor(["--maxmemory", "100mb", "--maxmemory-policy", "volatile-lru"]);
    expect(report.warnings).toEqual([]);
    expect(report.maxmemoryPolicies).toEqual({ [`127.0.0.1:${port}`]: "volatile-lru" });
  });

  it("only notes the policy when there is no maxmemory limit (it never applies then)", async () => {
    const { report, port } = await reportFor(["--maxmemory-policy", "noeviction"]);
    expect(report.warnings).toEqual([]);
    expect(report.notes).toEqual([
      `127.0.0.1:${port} has no maxmemory limit, so its maxmemory-policy (noeviction) never applies`,
    ]);
  });

  it("reads the policy through INFO when CONFIG is forbidden, and degrades to a note when both are", async () => {
    const server = await startRedisServer({ name: "acl", args: ["--maxmemory-policy", "allkeys-lfu"] });
    servers.push(server);
    const admin = new Redis(server.port, "127.0.0.1");
    await admin.call("ACL", "SETUSER", "noconfig", "on", ">pw", "~*", "+@all", "-config");
    await admin.call("ACL", "SETUSER", "noadmin", "on", ">pw", "~*", "+@all", "-config", "-info");
    admin.disconnect();
    const managed = new RedisStore({
      redis: `redis://noconfig:pw@127.0.0.1:${server.port}`,
      namespace: testNamespace("acl"),
    });
    const viaInfo = await managed.verify();
    await managed.close();
    expect(viaInfo.maxmemoryPolicies[`127.0.0.1:${server.port}`]).toBe("allkeys-lfu");
    const locked = new RedisStore({
      redis: `redis://noadmin:pw@127.0.0.1:${server.port}`,
      namespace: testNamespace("acl"),
    });
    const report = await locked.verify();
    await locked.close();
    expect(report.warnings).toEqual([]);
    expect(report.notes).toEqual([
      `could not read maxmemory-policy on 127.0.0.1:${server.port} (INFO and CONFIG refused): check it yourself`,
    ]);
  });
});
