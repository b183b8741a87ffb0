import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";
import { standaloneAndCluster, type TopologyCase } from "../support/shared-topologies.js";

const { sentinel } = inject("redis");

/**
 * The demo's logged-in pages read the record's key and TTL through the admin API over the app's own
 * store, so they work with every URL form (its own ioredis client hung on redis+cluster:// URLs).
 */
const topologies: TopologyCase[] = [
  ...standaloneAndCluster().filter((t) => t.name.startsWith("cluster")),
  {
    name: "sentinel",
    port: sentinel.primary,
    url: `redis+sentinel://127.0.0.1:${sentinel.sentinelPort}/${sentinel.masterName}`,
    inspector: undefined,
  },
];

for (const topology of topologies) {
  describe(`demo pages with a ${topology.name} URL`, () => {
    let demo: DemoFixture;
    beforeAll(async () => {
      demo = await startDemoFixture(
        topology.port,
        "demo-topology",
        { redis: topology.url },
        topology.inspector ?? (() => new Redis(topology.port, "127.0.0.1")),
      );
    });
    afterAll(() => demo?.close());

    it("serves the logged-in page and the session JSON with the record's key and TTL", async () => {
      const browser = demo.browser();
      expect((await browser.request("POST", "/login", { form: { user: "ann" } })).status).toBe(303);
      const page = await browser.get("/");
      expect(page.status).toBe(200);
      expect(page.text).toContain("ann");
      const { meta } = (await browser.get("/api/session")).json<{
        meta: { redisKey: string; ttlMs: number };
      }>();
      expect(await demo.keys()).toContain(meta.redisKey);
      expect(meta.ttlMs).toBeGreaterThan(0);
    });
  });
}
