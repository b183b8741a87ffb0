import { describe, expect, it } from "vitest";
import { ErrorCodes, type SessionStoreError } from "../../../src/common/errors.js";
import { openForeignRedis, type WriteOutcome } from "../../../src/interop/foreign-redis.js";

/** The retry loop of conditional writes; it opens no connection (attempt stands for read + write). */
describe("untilWritten", () => {
  const redis = openForeignRedis({ redis: "redis://127.0.0.1:1", maxRetries: 3 });

  it("runs again while the session changed meanwhile, and answers whether it was written or gone", async () => {
    const outcomes: WriteOutcome[] = [0, 0, 1];
    let calls = 0;
    expect(await redis.untilWritten("test", async () => outcomes[calls++] as WriteOutcome)).toBe(true);
    expect(calls).toBe(3);
    expect(await redis.untilWritten("test", async () => -1)).toBe(false);
  });

  it("gives up after maxRetries more attempts with a store error (503), not a loop for ever", async () => {
    let calls = 0;
    const error = (await redis
      .untilWritten("test", async () => {
        calls++;
        return 0;
      })
      .catch((e: unknown) => e)) as SessionStoreError;
    expect(calls).toBe(4);
    expect([error.code, error.status]).toEqual([ErrorCodes.STORE_UNAVAILABLE, 503]);
    expect(error.message).toContain("changed under 4 writes in a row");
  });
});
