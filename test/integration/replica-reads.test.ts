import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type RedisServerHandle,
  redisInfo,
  startRedisServer,
  waitFor,
} from "../../tools/redis-harness/redis-server.js";
import { testNamespace } from "../support/browser.js";
import { type DelayProxy, startDelayProxy } from "../support/delay-proxy.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";

const { replicated, cluster } = inject("redis");

/** Session reads (GET; replicated writes arrive as SET) served by a node. */
async function getCalls(port: number): Promise<number> {
  const client = new Redis(port, "127.0.0.1");
  try {
    const info = await client.info("commandstats");
    return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0);
  } finally {
    client.disconnect();
  }
}

const cases = [
  {
    name: "primary + replica (redis://primary?replica=...)",
    url: `redis://127.0.0.1:${replicated.primary}?replica=127.0.0.1:${replicated.replica}`,
    inspectPort: replicated.primary,
    replicaPorts: [replicated.replica],
    trials: 150,
  },
  {
    name: "cluster 3+3 (redis+cluster://, scaleReads to replicas)",
    url: `redis+cluster://127.0.0.1:${cluster.primaries[0]}`,
    inspectPort: cluster.primaries[0] as number,
    replicaPorts: cluster.replicas,
    trials: 60,
  },
];

for (const topology of cases) {
  describe(`replica reads on ${topology.name}`, () => {
    let a: DemoFixture;
    let b: DemoFixture;
    beforeAll(async () => {
      // Two app instances of one app (one namespace): a browser may hit either.
      const namespace = testNamespace("replica-reads");
      const options = { redis: topology.url, replicaReads: true, namespace };
      const inspector = topology.name.startsWith("cluster")
        ? () => new Cluster([{ host: "127.0.0.1", port: topology.inspectPort }])
        : undefined;
      a = await startDemoFixture(topology.inspectPort, "replica-reads", options, inspector);
      b = await startDemoFixture(topology.inspectPort, "replica-reads", options, inspector);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it("a browser reads its own writes on another app instance: many trials, zero stale reads", async () => {
      const replicaReadsBefore = (await Promise.all(topology.replicaPorts.map(getCalls))).reduce(
        (x, y) => x + y,
        0,
      );
      let stale = 0;
      for (let trial = 0; trial < topology.trials; trial++) {
        const onA = a.browser();
        await onA.request("POST", "/login", { json: { user: `u${trial}` } });
        const onB = b.browser();
        for (const [name, value] of onA.cookies) onB.cookies.set(name, value);
        const seen = (await onB.request("PATCH", "/api/session", { json: { step: trial } })).json<{
          data: Record<string, unknown>;
        }>().data;
        if (seen.user !== `u${trial}`) stale++;
        const back = (await onA.request("PATCH", "/api/session", { json: { last: "a" } })).json<{
          data: Record<string, unknown>;
        }>().data;
        if (back.step !== trial) stale++;
      }
      expect(stale).toBe(0);
      const replicaReadsAfter = (await Promise.all(topology.replicaPorts.map(getCalls))).reduce(
        (x, y) => x + y,
        0,
      );
      // The loads really went to replicas: two per trial.
      expect(replicaReadsAfter - replicaReadsBefore).toBeGreaterThanOrEqual(2 * topology.trials);
    });
  });
}

describe("replica reads with replication lag (a proxy delays the replication link by 40 ms)", () => {
  const LAG_MS = 40;
  let primary: RedisServerHandle;
  let replica: RedisServerHandle;
  let proxy: DelayProxy;
  let a: DemoFixture;
  let b: DemoFixture;
  beforeAll(async () => {
    primary = await startRedisServer({ name: "lag-primary" });
    proxy = await startDelayProxy(primary.port, LAG_MS);
    replica = await startRedisServer({
      name: "lag-replica",
      args: ["--replicaof", "127.0.0.1", String(proxy.port)],
    });
    await waitFor(
      "the lagging replica to sync",
      async () => (await redisInfo(replica.port, "replication")).master_link_status === "up",
      15_000,
    );
    const namespace = testNamespace("lag");
    const options = {
      redis: `redis://127.0.0.1:${primary.port}?replica=127.0.0.1:${replica.port}`,
      replicaReads: true,
      namespace,
    };
    a = await startDemoFixture(primary.port, "lag", options);
    b = await startDemoFixture(primary.port, "lag", options);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await proxy?.close();
    await Promise.all([replica?.stop(), primary?.stop()]);
  });

  it("the lag is real: a plain write-then-read on the replica is stale", async () => {
    const writer = new Redis(primary.port, "127.0.0.1");
    const reader = new Redis(replica.port, "127.0.0.1");
    try {
      let stale = 0;
      for (let i = 0; i < 20; i++) {
        await writer.set(`lag-probe-${i}`, "x", "PX", 60_000);
        if ((await reader.get(`lag-probe-${i}`)) === null) stale++;
      }
      expect(stale).toBeGreaterThan(10);
    } finally {
      writer.disconnect();
      reader.disconnect();
    }
  });

  it("sessionkit's writes wait for the replica, so the next request on any instance sees them", async () => {
    let stale = 0;
    for (let trial = 0; trial < 30; trial++) {
      const onA = a.browser();
      await onA.request("POST", "/login", { json: { user: `lag${trial}` } });
      const onB = b.browser();
      for (const [name, value] of onA.cookies) onB.cookies.set(name, value);
      const seen = (await onB.request("PATCH", "/api/session", { json: { step: trial } })).json<{
        data: Record<string, unknown>;
      }>().data;
      if (seen.user !== `lag${trial}`) stale++;
      const back = (await onA.get("/api/session")).json<{ data: Record<string, unknown> }>().data;
      if (back.step !== trial) stale++;
    }
    expect(stale).toBe(0);
  });
});
