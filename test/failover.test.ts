import { Cluster } from "ioredis";
import { createCluster, createSentinel } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DedicatedTopology, startDedicatedTopology, type Topologies } from "./harness/topologies.js";
import { type DemoFixture, startDemoFixture } from "./support/demo-fixture.js";
import { type LoadReport, runUsers } from "./support/failover-load.js";

const USERS_PER_APP = 12;

function printReports(title: string, reports: LoadReport[]): void {
  const lines = reports.map(
    (r) =>
      `  ${r.label.padEnd(22)} requests ${String(r.requests).padStart(5)}  failed ${String(r.failed).padStart(4)}  hung ${r.hung}` +
      `  max latency ${r.maxLatencyMs} ms  no writes at all ${r.globalWriteGapSeconds.toFixed(2)} s` +
      `  worst user without writes ${r.worstUserWriteGapSeconds.toFixed(2)} s  logins ${r.acknowledgedLogins}` +
      `  lost sessions ${r.lostSessions}  lost updates ${r.lostUpdates}`,
  );
  console.log(`[failover] ${title}\n${lines.join("\n")}`);
}

/** Common expectations: nothing hangs, service resumes, durable writes are never lost. */
function expectSurvived(reports: LoadReport[], durableLabel: string, windowSeconds: number): void {
  for (const report of reports) {
    expect(report.hung, report.label).toBe(0);
    expect(report.acknowledgedLogins, report.label).toBeGreaterThan(0);
    // Every user wrote again after the failover (the worst gap is shorter than the time left after the kill).
    expect(report.worstUserWriteGapSeconds, report.label).toBeLessThan(windowSeconds);
  }
  const durable = reports.find((r) => r.label === durableLabel);
  expect(durable?.lostSessions).toBe(0);
  expect(durable?.lostUpdates).toBe(0);
}

describe("Redis Cluster: a primary is killed (SIGKILL) under load", () => {
  let topology: DedicatedTopology<Topologies["cluster"]>;
  const apps: DemoFixture[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    // node timeout 2000 ms: the failover takes ~3-4 s instead of ~6-7 s.
    topology = await startDedicatedTopology("cluster", { clusterNodeTimeoutMs: 2000 });
    const seeds = topology.topology.primaries.map((p) => `127.0.0.1:${p}`).join(",");
    const inspector = () =>
      new Cluster([{ host: "127.0.0.1", port: topology.topology.primaries[1] as number }]);
    const port = topology.topology.primaries[1] as number;
    const nodeRedis = createCluster({
      rootNodes: topology.topology.primaries.map((p) => ({ url: `redis://127.0.0.1:${p}` })),
    });
    nodeRedis.on("error", () => {});
    await nodeRedis.connect();
    closers.push(async () => nodeRedis.destroy());
    apps.push(
      await startDemoFixture(port, "ioredis", { redis: `redis+cluster://${seeds}` }, inspector),
      await startDemoFixture(
        port,
        "ioredis-durable",
        { redis: `redis+cluster://${seeds}`, durability: { replicas: 1 } },
        inspector,
      ),
      await startDemoFixture(port, "node-redis", { redis: nodeRedis }, inspector),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    for (const close of closers) await close();
    await topology?.stop();
  });

  it("requests resume without a restart; acknowledged durable writes are never lost", async () => {
    const durationMs = 16_000;
    const killAtMs = 3000;
    const restartAtMs = 9000;
    const victim = topology.server(topology.topology.primaries[0] as number);
    const labels = ["ioredis", "ioredis durable(1)", "node-redis"];
    const runs = apps.map((app, i) => runUsers(app.baseUrl, labels[i] as string, USERS_PER_APP, durationMs));
    await new Promise((resolve) => setTimeout(resolve, killAtMs));
    await victim.kill();
    // The old primary comes back as a replica of the promoted one, so durable writes on its shard resume.
    await new Promise((resolve) => setTimeout(resolve, restartAtMs - killAtMs));
    await victim.restart();
    const finished = await Promise.all(runs);
    const reports = await Promise.all(finished.map((run) => run.verify()));
    printReports(
      `cluster 3+3, node timeout 2000 ms, kill at ${killAtMs} ms, restart at ${restartAtMs} ms`,
      reports,
    );
    expectSurvived(reports, "ioredis durable(1)", (durationMs - killAtMs) / 1000);
  }, 60_000);
});

describe("Sentinel: the primary is killed (SIGKILL) under load", () => {
  let topology: DedicatedTopology<Topologies["sentinel"]>;
  const apps: DemoFixture[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    topology = await startDedicatedTopology("sentinel");
    const { sentinelPort, primary } = topology.topology;
    const url = `redis+sentinel://127.0.0.1:${sentinelPort}/mymaster`;
    const nodeRedis = createSentinel({
      name: "mymaster",
      sentinelRootNodes: [{ host: "127.0.0.1", port: sentinelPort }],
    });
    nodeRedis.on("error", () => {});
    await nodeRedis.connect();
    closers.push(async () => nodeRedis.destroy());
    // The page's PTTL inspector follows the primary only through Sentinel: give it one too.
    const { Redis } = await import("ioredis");
    const inspector = () =>
      new Redis({ sentinels: [{ host: "127.0.0.1", port: sentinelPort }], name: "mymaster" });
    apps.push(
      await startDemoFixture(primary, "s-ioredis", { redis: url }, inspector),
      await startDemoFixture(primary, "s-node-redis", { redis: nodeRedis }, inspector),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    for (const close of closers) await close();
    await topology?.stop();
  });

  it("requests resume after Sentinel promotes the replica, without a restart", async () => {
    const durationMs = 12_000;
    const killAtMs = 2000;
    const labels = ["ioredis", "node-redis"];
    const runs = apps.map((app, i) => runUsers(app.baseUrl, labels[i] as string, USERS_PER_APP, durationMs));
    await new Promise((resolve) => setTimeout(resolve, killAtMs));
    await topology.server(topology.topology.primary).kill();
    const finished = await Promise.all(runs);
    const reports = await Promise.all(finished.map((run) => run.verify()));
    printReports(`Sentinel (down-after 1000 ms), kill at ${killAtMs} ms`, reports);
    for (const report of reports) {
      expect(report.hung, report.label).toBe(0);
      expect(report.worstUserWriteGapSeconds, report.label).toBeLessThan((durationMs - killAtMs) / 1000);
    }
  }, 60_000);
});
