import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../../src/redis/redis-session-store.js";
import { type RedisServerHandle, startRedisServer } from "../../tools/redis-harness/redis-server.js";
import { testNamespace } from "../support/browser.js";

const COMMAND_TIMEOUT_MS = 500;
/** The timeout plus scheduling noise; a second full timeout (waiting behind another command) exceeds it. */
const BOUND_MS = COMMAND_TIMEOUT_MS + 250;

/** How long a call took to settle, and whether it failed. */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; failed: boolean }> {
  const started = performance.now();
  const failed = await call().then(
    () => false,
    () => true,
  );
  return { ms: performance.now() - started, failed };
}

// Rule 9: "every command has a timeout", commandTimeout per call, whatever else is in flight.
describe("a frozen Redis under sessionkit's own ioredis client (redis:// URL)", () => {
  let server: RedisServerHandle;
  let store: RedisStore;
  beforeAll(async () => {
    server = await startRedisServer({ name: "timeout-bound" });
    store = new RedisStore({
      redis: server.url,
      namespace: testNamespace("timeout-bound"),
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    await store.verify();
    await store.load("warm-up");
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it("fails a read within commandTimeout even when it is sent while another read waits", async () => {
    process.kill(server.pid, "SIGSTOP");
    try {
      const first = timed(() => store.load("first"));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = timed(() => store.load("second"));
      const results = await Promise.all([first, second]);
      for (const { ms, failed } of results) {
        expect(failed).toBe(true);
        expect(ms).toBeLessThan(BOUND_MS);
      }
    } finally {
      process.kill(server.pid, "SIGCONT");
    }
  });
});
