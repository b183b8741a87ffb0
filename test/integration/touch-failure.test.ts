import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/common/diagnostics.js";
import {
  type RedisServerHandle,
  redisCommand,
  startRedisServer,
} from "../../tools/redis-harness/redis-server.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";

/**
 * Rule 18: once touchAfter has passed, a read-only request also records activity. When Redis refuses that
 * write (full with noeviction here; a read-only endpoint or an ACL without EVALSHA answer alike), the read
 * still succeeds: the failure is a diagnostic, and a later request records the activity.
 */
describe("a read whose activity touch fails (rule 18)", () => {
  let server: RedisServerHandle;
  let demo: DemoFixture;
  let clockOffsetMs = 0;
  const diagnostics: Diagnostic[] = [];
  beforeAll(async () => {
    server = await startRedisServer({ name: "touch-failure", args: ["--maxmemory-policy", "noeviction"] });
    demo = await startDemoFixture(server.port, "touch", {
      touchAfter: "1m",
      idleTimeout: "30m",
      now: () => Date.now() + clockOffsetMs,
      onDiagnostic: (d) => diagnostics.push(d),
    });
  });
  afterAll(async () => {
    await demo?.close();
    await server?.stop();
  });

  it("answers the read, reports the failed touch, and touches on a later request", async () => {
    const browser = demo.browser();
    expect((await browser.request("POST", "/login", { json: { user: "reader" } })).status).toBe(303);
    const before = (await browser.get("/api/session")).json<{ meta: { lastAccessAt: string } }>();
    clockOffsetMs += 2 * 60_000;
    await redisCommand(server.port, "CONFIG", "SET", "maxmemory", "1");
    try {
      const read = await browser.get("/api/session");
      expect(read.status).toBe(200);
      expect(read.json<{ data: { user?: string } }>().data.user).toBe("reader");
      expect(diagnostics.some((d) => d.code === "SESSION_TOUCH_FAILED" && /OOM/.test(d.message))).toBe(true);
    } finally {
      await redisCommand(server.port, "CONFIG", "SET", "maxmemory", "0");
    }
    // This request records the activity at its commit; the next one sees it.
    await browser.get("/api/session");
    const after = (await browser.get("/api/session")).json<{ meta: { lastAccessAt: string } }>();
    expect(Date.parse(after.meta.lastAccessAt)).toBeGreaterThan(
      Date.parse(before.meta.lastAccessAt) + 60_000,
    );
  });
});
