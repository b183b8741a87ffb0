import type { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createIoredisClients } from "../../src/redis/connection/create-ioredis.js";
import { parseRedisUrl } from "../../src/redis/connection/redis-url.js";
import { testNamespace } from "../support/browser.js";

const { standalone, cluster } = inject("redis");
const OPTIONS = { commandTimeoutMs: 1000, replicaReads: false };

/** Counts the write calls a socket makes (net.Socket writes through _write, or _writev for a batch). */
function countWrites(client: Redis): { readonly calls: number } {
  const stream = client.stream as unknown as Record<"_write" | "_writev", (...args: unknown[]) => unknown>;
  const counter = { calls: 0 };
  for (const method of ["_write", "_writev"] as const) {
    const original = stream[method];
    stream[method] = function (this: unknown, ...args: unknown[]) {
      counter.calls++;
      return original.apply(this, args);
    };
  }
  return counter;
}

function ready(client: Redis | Cluster): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => client.once("ready", () => resolve()));
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

// src/redis/write-batch.ts: the commands of one event-loop turn leave in one write.
describe("sessionkit's own standalone client", () => {
  let client: Redis;
  const prefix = testNamespace("write-batch");
  beforeAll(async () => {
    client = (await createIoredisClients(parseRedisUrl(standalone.url), OPTIONS)).writer as Redis;
    await ready(client);
    await client.set(`${prefix}:a`, "1", "PX", 60_000);
  });
  afterAll(async () => {
    await client?.quit();
  });

  it("writes the commands of one turn in one system call, and answers each", async () => {
    await nextTurn();
    const writes = countWrites(client);
    const replies = await Promise.all([
      client.get(`${prefix}:a`),
      client.get(`${prefix}:missing`),
      client.pttl(`${prefix}:a`),
      client.get(`${prefix}:a`),
    ]);
    expect(writes.calls).toBe(1);
    expect(replies.slice(0, 2)).toEqual(["1", null]);
    expect(replies[2]).toBeGreaterThan(0);
    expect(replies[3]).toBe("1");
  });

  it("holds nothing past its turn: commands of later turns are written in those turns", async () => {
    await nextTurn();
    const writes = countWrites(client);
    expect(await client.get(`${prefix}:a`)).toBe("1");
    expect(await client.get(`${prefix}:a`)).toBe("1");
    expect(writes.calls).toBe(2);
  });

  it("answers a command sent from a check-phase callback (its write waits for the next turn, not for ever)", async () => {
    const reply = await new Promise((resolve, reject) => {
      setImmediate(() => {
        client.get(`${prefix}:a`).then(resolve, reject);
      });
    });
    expect(reply).toBe("1");
  });

  it("settles a held command whose connection drops in the same turn, and works on the next connection", async () => {
    await nextTurn();
    const lost = client.get(`${prefix}:a`).then(
      (value) => value,
      (error: unknown) => error,
    );
    client.stream.destroy();
    const outcome = await lost;
    // Failed, not re-sent (a write answered 503 must not land later: tuning/reject-unfulfilled.ts), and
    // never a hang.
    expect(outcome).toBeInstanceOf(Error);
    expect(String((outcome as Error).message)).toMatch(/Connection is closed/);
    await expect
      .poll(() => client.get(`${prefix}:a`).catch(() => "not yet"), { timeout: 5000, interval: 50 })
      .toBe("1");
  });
});

describe("sessionkit's own cluster client", () => {
  let client: Cluster;
  const tag = `{${testNamespace("write-batch-cluster")}}`;
  beforeAll(async () => {
    const seed = cluster.primaries[0] as number;
    client = (await createIoredisClients(parseRedisUrl(`redis+cluster://127.0.0.1:${seed}`), OPTIONS))
      .writer as Cluster;
    await ready(client);
    await client.set(`${tag}:a`, "1", "PX", 60_000);
  });
  afterAll(async () => {
    await client?.quit();
  });

  it("writes one turn's commands for a node in one system call (node clients the Cluster creates itself)", async () => {
    await nextTurn();
    // All three keys share a hash tag, so one node answers them: one write call among all the nodes.
    const counters = client
      .nodes("master")
      .filter((node) => node.stream)
      .map(countWrites);
    const replies = await Promise.all([
      client.get(`${tag}:a`),
      client.get(`${tag}:b`),
      client.get(`${tag}:a`),
    ]);
    expect(replies).toEqual(["1", null, "1"]);
    expect(counters.reduce((sum, counter) => sum + counter.calls, 0)).toBe(1);
  });
});
