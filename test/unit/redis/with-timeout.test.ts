import { describe, expect, it } from "vitest";
import { ErrorCodes, SessionStoreError } from "../../../src/common/errors.js";
import { withTimeout, withTimeoutThen } from "../../../src/redis/with-timeout.js";

const TIMEOUT_MS = 80;
/** A call expires between the timeout and 9/8 of it; the rest is the event loop's scheduling noise. */
const LATEST_MS = (TIMEOUT_MS * 9) / 8 + 60;

const never = () => new Promise<never>(() => {});

async function settle(promise: Promise<unknown>): Promise<{ ms: number; value?: unknown; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

function expectStoreError(error: unknown, code: string): void {
  expect(error).toBeInstanceOf(SessionStoreError);
  expect((error as SessionStoreError).code).toBe(code);
}

describe("withTimeout (DESIGN rule 9: every command has a timeout)", () => {
  it("answers what the call answers", async () => {
    await expect(withTimeout("GET", TIMEOUT_MS, async () => "value")).resolves.toBe("value");
  });

  it("fails a call that never answers with STORE_TIMEOUT, after the timeout and not much later", async () => {
    const { ms, error } = await settle(withTimeout("GET", TIMEOUT_MS, never));
    expectStoreError(error, ErrorCodes.STORE_TIMEOUT);
    expect((error as Error).message).toMatch(/did not answer GET within 80 ms/);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(LATEST_MS);
  });

  it("bounds each of many overlapping calls by its own start, hanging or not", async () => {
    const hanging: Promise<{ ms: number; error?: unknown }>[] = [];
    const answered: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      hanging.push(settle(withTimeout("GET", TIMEOUT_MS, never)));
      answered.push(withTimeout("GET", TIMEOUT_MS, async () => i));
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await expect(Promise.all(answered)).resolves.toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const result of await Promise.all(hanging)) {
      expectStoreError(result.error, ErrorCodes.STORE_TIMEOUT);
      expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(result.ms).toBeLessThan(LATEST_MS);
    }
  });

  it("keeps calls of different timeouts apart", async () => {
    const short = settle(withTimeout("GET", 40, never));
    const long = settle(withTimeout("GET", 200, never));
    const [shortResult, longResult] = await Promise.all([short, long]);
    expect(shortResult.ms).toBeLessThan(40 * (9 / 8) + 60);
    expect(longResult.ms).toBeGreaterThanOrEqual(195);
  });

  it("ignores an answer that arrives after the call expired", async () => {
    let answer: (value: string) => void = () => {};
    const late = new Promise<string>((resolve) => {
      answer = resolve;
    });
    const { error } = await settle(withTimeout("GET", TIMEOUT_MS, () => late));
    expectStoreError(error, ErrorCodes.STORE_TIMEOUT);
    answer("too late");
    await new Promise((resolve) => setTimeout(resolve, 5));
  });

  it("fails at once, as STORE_UNAVAILABLE, on an error that is not worth retrying", async () => {
    const { ms, error } = await settle(
      withTimeout("GET", TIMEOUT_MS, () => Promise.reject(new Error("ERR wrong number of arguments"))),
    );
    expectStoreError(error, ErrorCodes.STORE_UNAVAILABLE);
    expect((error as Error).message).toMatch(/Redis GET failed: ERR wrong number/);
    expect(ms).toBeLessThan(TIMEOUT_MS);
  });

  it("turns a call that throws synchronously into a rejection", async () => {
    const { error } = await settle(
      withTimeout("GET", TIMEOUT_MS, () => {
        throw new Error("client closed");
      }),
    );
    expectStoreError(error, ErrorCodes.STORE_UNAVAILABLE);
  });

  it("retries 'not executed' replies (LOADING, TRYAGAIN...) until one succeeds", async () => {
    let attempts = 0;
    const value = await withTimeout("GET", 400, async () => {
      attempts++;
      if (attempts < 3) throw new Error("LOADING Redis is loading the dataset in memory");
      return "loaded";
    });
    expect(value).toBe("loaded");
    expect(attempts).toBe(3);
  });

  it("stops retrying at the deadline and reports the last reply", async () => {
    let attempts = 0;
    const { ms, error } = await settle(
      withTimeout("GET", 200, async () => {
        attempts++;
        throw new Error("TRYAGAIN Multiple keys request during rehashing of slot");
      }),
    );
    expectStoreError(error, ErrorCodes.STORE_UNAVAILABLE);
    expect((error as Error).message).toMatch(/Redis GET failed: TRYAGAIN/);
    expect(ms).toBeLessThan(200 * (9 / 8) + 60);
    expect(attempts).toBeGreaterThanOrEqual(2);
    const attemptsAtTimeout = attempts;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(attempts).toBe(attemptsAtTimeout);
  });
});

describe("withTimeout and the event loop", () => {
  it("does not add up the loop's lag: a call blocked behind busy ticks still fails near its deadline", async () => {
    const hanging = settle(withTimeout("GET", 160, never));
    // Busy turns of 15 ms each: a repeating timer is late by that much on every tick.
    const busyUntil = performance.now() + 200;
    while (performance.now() < busyUntil) {
      const turnEnd = performance.now() + 15;
      while (performance.now() < turnEnd) {}
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { ms, error } = await hanging;
    expectStoreError(error, ErrorCodes.STORE_TIMEOUT);
    expect(ms).toBeLessThan(160 * (9 / 8) + 15 + 60);
  });

  it("keeps the process alive while a call is pending, as a timer per call did", async () => {
    const handles = () => process.getActiveResourcesInfo().filter((name) => name === "Timeout").length;
    const before = handles();
    const hanging = settle(withTimeout("GET", 90, never));
    expect(handles()).toBeGreaterThan(before);
    await hanging;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handles()).toBeLessThanOrEqual(before);
  });
});

describe("withTimeout with a timeout beyond Node's timer range", () => {
  it("does not fail at once (Node turns a timer above 2^31 - 1 ms into 1 ms)", async () => {
    const hanging = settle(withTimeout("GET", 40 * 86_400_000 * 8, never));
    const first = await Promise.race([
      hanging,
      new Promise((resolve) => setTimeout(() => resolve("pending"), 50)),
    ]);
    expect(first).toBe("pending");
  });
});

describe("withTimeout and the client's own timeout", () => {
  it("reports ioredis's 'Command timed out' as STORE_TIMEOUT, not as an unavailable Redis", async () => {
    const { error } = await settle(
      withTimeout("GET", TIMEOUT_MS, () => Promise.reject(new Error("Command timed out"))),
    );
    expectStoreError(error, ErrorCodes.STORE_TIMEOUT);
  });
});

describe("withTimeoutThen (the store's read: the reply handled inside, one promise fewer)", () => {
  const lengthOf = (value: string) => value.length;
  const asMinusOne = (_error: SessionStoreError) => -1;

  it("answers the handler's result of the call's answer", async () => {
    await expect(withTimeoutThen("GET", TIMEOUT_MS, async () => "four", lengthOf, asMinusOne)).resolves.toBe(
      4,
    );
  });

  it("hands a failed call to the error handler as a SessionStoreError, a timeout included", async () => {
    const seen: SessionStoreError[] = [];
    const record = (error: SessionStoreError) => {
      seen.push(error);
      return -1;
    };
    await expect(
      withTimeoutThen("GET", TIMEOUT_MS, () => Promise.reject(new Error("WRONGTYPE bad")), lengthOf, record),
    ).resolves.toBe(-1);
    await expect(withTimeoutThen("GET", TIMEOUT_MS, never, lengthOf, record)).resolves.toBe(-1);
    expectStoreError(seen[0], ErrorCodes.STORE_UNAVAILABLE);
    expect(seen[0]?.message).toMatch(/WRONGTYPE bad/);
    expectStoreError(seen[1], ErrorCodes.STORE_TIMEOUT);
  });

  it("rejects with what a handler throws, and nothing else happens after", async () => {
    const broken = () => {
      throw new Error("handler bug");
    };
    await expect(withTimeoutThen("GET", TIMEOUT_MS, async () => "x", broken, asMinusOne)).rejects.toThrow(
      "handler bug",
    );
    const rethrow = (error: SessionStoreError) => {
      throw error;
    };
    const { error } = await settle(withTimeoutThen("GET", TIMEOUT_MS, never, lengthOf, rethrow));
    expectStoreError(error, ErrorCodes.STORE_TIMEOUT);
  });
});
