import { existsSync } from "node:fs";
import path from "node:path";
import { Cluster, Redis } from "ioredis";
import { describe, expect, inject, it, vi } from "vitest";
import {
  findFreePort,
  PID_DIR,
  REDIS_HOST,
  RedisReplyError,
  redisCommand,
  startRedisServer,
} from "../../tools/redis-harness/redis-server.js";

const topologies = inject("redis");
const PREFIX = `harness-test:${process.pid}`;

describe("redisCommand (RESP helper)", () => {
  const { port } = topologies.standalone;

  it("parses simple, bulk, nil, integer and array replies", async () => {
    const key = `${PREFIX}:resp`;
    expect(await redisCommand(port, "PING")).toBe("PONG");
    expect(await redisCommand(port, "SET", key, "héllo ✓", "PX", "60000")).toBe("OK");
    expect(await redisCommand(port, "GET", key)).toBe("héllo ✓");
    expect(await redisCommand(port, "GET", `${key}:missing`)).toBeNull();
    expect(await redisCommand(port, "DEL", key)).toBe(1);
    expect(await redisCommand(port, "RPUSH", `${key}:list`, "a", "", "c")).toBe(3);
    expect(await redisCommand(port, "LRANGE", `${key}:list`, "0", "-1")).toEqual(["a", "", "c"]);
    expect(await redisCommand(port, "DEL", `${key}:list`)).toBe(1);
  });

  it("reassembles a reply split over many TCP chunks", async () => {
    const key = `${PREFIX}:large`;
    const value = "x".repeat(300_000);
    await redisCommand(port, "SET", key, value, "PX", "60000");
    expect(await redisCommand(port, "GET", key)).toBe(value);
    await redisCommand(port, "DEL", key);
  });

  it("rejects on error replies", async () => {
    await expect(redisCommand(port, "NO-SUCH-COMMAND")).rejects.toThrow(RedisReplyError);
    await expect(redisCommand(port, "NO-SUCH-COMMAND")).rejects.toThrow(/ERR unknown command/);
  });
});

describe("findFreePort", () => {
  it("never hands out the same port twice and leaves room for the bus port", async () => {
    const ports = await Promise.all(Array.from({ length: 40 }, () => findFreePort({ withBusPort: true })));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port + 10_000).toBeLessThanOrEqual(55_535);
      expect(ports).not.toContain(port + 10_000);
    }
  });
});

describe("topologies", () => {
  it("standalone: SET then GET", async () => {
    const client = new Redis(topologies.standalone.url);
    try {
      await client.set(`${PREFIX}:standalone`, "v1", "PX", 60_000);
      expect(await client.get(`${PREFIX}:standalone`)).toBe("v1");
    } finally {
      client.disconnect();
    }
  });

  it("replicated: a write on the primary reaches the read-only replica", async () => {
    const { primary, replica } = topologies.replicated;
    const onPrimary = new Redis({ host: REDIS_HOST, port: primary });
    const onReplica = new Redis({ host: REDIS_HOST, port: replica });
    const key = `${PREFIX}:replicated`;
    try {
      await onPrimary.set(key, "v1", "PX", 60_000);
      await vi.waitFor(async () => expect(await onReplica.get(key)).toBe("v1"), {
        timeout: 5_000,
        interval: 20,
      });
      await expect(onReplica.set(key, "v2")).rejects.toThrow(/READONLY/);
    } finally {
      onPrimary.disconnect();
      onReplica.disconnect();
    }
  });

  it("sentinel: resolves the primary; write and read work", async () => {
    const { sentinelPort, masterName, primary } = topologies.sentinel;
    const client = new Redis({ sentinels: [{ host: REDIS_HOST, port: sentinelPort }], name: masterName });
    const key = `${PREFIX}:sentinel`;
    try {
      await client.set(key, "v1", "PX", 60_000);
      expect(await client.get(key)).toBe("v1");
      expect(await client.info("server")).toContain(`tcp_port:${primary}\r\n`);
    } finally {
      client.disconnect();
    }
  });

  it("cluster: keys spread over the 3 primaries, each write readable, state ok", async () => {
    const { ports, primaries } = topologies.cluster;
    const cluster = new Cluster([{ host: REDIS_HOST, port: ports[0] ?? 0 }]);
    const keys = Array.from({ length: 30 }, (_, i) => `${PREFIX}:cluster:${i}`);
    try {
      await Promise.all(keys.map((key) => cluster.set(key, `value-${key}`, "PX", 60_000)));
      expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys.map((k) => `value-${k}`));

      const ranges = await cluster.cluster("SLOTS");
      expect(ranges).toHaveLength(3);
      const owners = new Set<number>();
      for (const key of keys) {
        const slot = await cluster.cluster("KEYSLOT", key);
        const range = ranges.find(([start, end]) => slot >= start && slot <= end);
        owners.add(Number(range?.[2]?.[1]));
      }
      expect([...owners].sort()).toEqual([...primaries].sort());

      const masters = cluster.nodes("master");
      expect(masters).toHaveLength(3);
      for (const node of masters) expect(await node.cluster("INFO")).toContain("cluster_state:ok");
    } finally {
      await Promise.all(keys.map((key) => cluster.del(key))).catch(() => undefined);
      cluster.disconnect();
    }
  });
});

describe("startRedisServer", () => {
  it("kill() then restart() brings the server back on the same port", async () => {
    const server = await startRedisServer({ name: "restart-test" });
    const { port, dir } = server;
    try {
      const firstPid = server.pid;
      expect(existsSync(path.join(PID_DIR, String(firstPid)))).toBe(true);
      await server.kill();
      expect(existsSync(path.join(PID_DIR, String(firstPid)))).toBe(false);
      await expect(redisCommand(port, "PING")).rejects.toThrow();

      await server.restart();
      expect(server.port).toBe(port);
      expect(server.pid).not.toBe(firstPid);
      expect(await redisCommand(port, "PING")).toBe("PONG");
    } finally {
      await server.stop();
    }
    expect(existsSync(path.join(PID_DIR, String(server.pid)))).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
