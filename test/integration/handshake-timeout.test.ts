import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SessionStoreError } from "../../src/common/errors.js";
import { createIoredisClients } from "../../src/redis/connection/create-ioredis.js";
import { parseRedisUrl } from "../../src/redis/connection/redis-url.js";
import { RedisStore } from "../../src/redis/redis-session-store.js";
import { quitBounded } from "../../src/redis/tuning/handshake-timeout.js";
import { type RedisServerHandle, startRedisServer } from "../../tools/redis-harness/redis-server.js";
import {
  type DedicatedTopology,
  startDedicatedTopology,
  type Topologies,
} from "../../tools/redis-harness/topologies.js";
import { testNamespace } from "../support/browser.js";
import { type SwitchProxy, startSwitchProxy } from "../support/switch-proxy.js";

const { standalone } = inject("redis");
const COMMAND_TIMEOUT_MS = 300;

// sessionkit's own ioredis clients drop ioredis's per-command timer while ready (src/redis/
// handshake-timeout.ts): these are the cases that timer still has to cover.
describe("sessionkit's ioredis client without ioredis's per-command timer while ready", () => {
  let proxy: SwitchProxy;
  let store: RedisStore;
  beforeAll(async () => {
    proxy = await startSwitchProxy(standalone.port);
    store = new RedisStore({
      redis: `redis://127.0.0.1:${proxy.port}`,
      namespace: testNamespace("ioredis-timer"),
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    await store.verify();
    expect(await store.load("never-written")).toBeNull();
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.close();
  });

  it("reconnects past a server that accepts the new connection and never answers, once Redis answers again", async () => {
    proxy.mode = "silent";
    proxy.dropAll();
    // The reconnect's handshake hangs: without a timer on it the client would stay "connect" for ever.
    const during = await store.load("x").then(
      () => "answered",
      (error: unknown) => error,
    );
    expect(during).toBeInstanceOf(SessionStoreError);
    await new Promise((resolve) => setTimeout(resolve, 3 * COMMAND_TIMEOUT_MS));
    proxy.mode = "forward";
    await expect
      .poll(
        () =>
          store.load("never-written").then(
            (record) => record,
            () => "failed",
          ),
        {
          timeout: 5000,
          interval: 100,
        },
      )
      .toBeNull();
  });
});

describe("closing sessionkit's ioredis client while Redis is frozen", () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer({ name: "close-frozen" });
  });
  afterAll(() => server?.stop());

  it("returns within the command timeout (QUIT is bounded), and reads before it still failed in time", async () => {
    const store = new RedisStore({
      redis: server.url,
      namespace: testNamespace("close-frozen"),
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    await store.verify();
    await store.load("warm-up");
    process.kill(server.pid, "SIGSTOP");
    try {
      const started = performance.now();
      await expect(store.load("frozen")).rejects.toBeInstanceOf(SessionStoreError);
      await store.close();
      expect(performance.now() - started).toBeLessThan(2 * COMMAND_TIMEOUT_MS + 500);
    } finally {
      process.kill(server.pid, "SIGCONT");
    }
  });
});

// The Cluster creates its node clients itself; sessionkit gives each the same treatment ("+node").
describe("a cluster's node clients", () => {
  it("carry no per-command timer while ready", async () => {
    const seed = inject("redis").cluster.primaries[0] as number;
    const { writer } = await createIoredisClients(parseRedisUrl(`redis+cluster://127.0.0.1:${seed}`), {
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      replicaReads: false,
    });
    const cluster = writer as Cluster;
    try {
      if (cluster.status !== "ready") await new Promise((resolve) => cluster.once("ready", resolve));
      await cluster.get(`{${testNamespace("node-timer")}}:x`);
      const masters = cluster.nodes("master");
      expect(masters.length).toBeGreaterThan(0);
      for (const node of masters.filter((n) => n.status === "ready")) {
        expect(node.options.commandTimeout).toBeUndefined();
      }
    } finally {
      await quitBounded(cluster);
    }
  });

  describe("when one primary is frozen (SIGSTOP)", () => {
    let topology: DedicatedTopology<Topologies["cluster"]>;
    let frozenPid: number | undefined;
    beforeAll(async () => {
      topology = await startDedicatedTopology("cluster");
    }, 60_000);
    afterAll(async () => {
      // Also when the test timed out before its own SIGCONT: a stopped server cannot be stopped.
      if (frozenPid !== undefined) process.kill(frozenPid, "SIGCONT");
      await topology?.stop();
    });

    it("close() still returns within the command timeout: QUIT to that node is bounded", async () => {
      const seeds = topology.topology.primaries.map((port) => `127.0.0.1:${port}`).join(",");
      const store = new RedisStore({
        redis: `redis+cluster://${seeds}`,
        namespace: testNamespace("cluster-close-frozen"),
        commandTimeout: COMMAND_TIMEOUT_MS,
      });
      await store.verify();
      // Keys in slots all over the cluster: every primary's node client is connected when it freezes.
      for (let i = 0; i < 48; i++) await store.load(`warm-up-${i}`);
      const frozen = topology.server(topology.topology.primaries[0] as number);
      frozenPid = frozen.pid;
      process.kill(frozen.pid, "SIGSTOP");
      try {
        const started = performance.now();
        await store.close();
        expect(performance.now() - started).toBeLessThan(2 * COMMAND_TIMEOUT_MS + 500);
      } finally {
        process.kill(frozen.pid, "SIGCONT");
      }
    });
  });
});
