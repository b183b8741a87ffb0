import { describe, expect, it } from "vitest";
import { typedJsonCodec } from "../../../src/codecs/typed-json-codec.js";
import { SessionConfigError } from "../../../src/common/errors.js";
import { createSessionManager } from "../../../src/create-session-manager.js";
import { RedisStore } from "../../../src/redis/redis-session-store.js";
import { resolveSessionConfig } from "../../../src/session/session-options.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { TEST_SECRET } from "../../support/browser.js";

const store = createMemoryStore();

describe("options are checked at start-up with a clear message", () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ["no secret", () => createSessionManager({ store } as never), /secret/],
    ["short secret", () => createSessionManager({ store, secret: "abc" }), /at least 32/],
    ["no storage", () => createSessionManager({ secret: TEST_SECRET }), /redis .* or store is required/],
    [
      "both storages",
      () => createSessionManager({ secret: TEST_SECRET, store, redis: "redis://x" }),
      /either redis or store/,
    ],
    [
      "bad URL",
      () => createSessionManager({ secret: TEST_SECRET, redis: "not a url" }),
      /must use redis:\/\/.*no scheme/,
    ],
    [
      "bad scheme",
      () => createSessionManager({ secret: TEST_SECRET, redis: "http://127.0.0.1" }),
      /scheme "http:"/,
    ],
    ["bad client", () => new RedisStore({ redis: 42 as never }), /redis must be/],
    [
      "bad duration",
      () => createSessionManager({ secret: TEST_SECRET, store, idleTimeout: "2 hours" }),
      /idleTimeout/,
    ],
    [
      "zero idle",
      () => createSessionManager({ secret: TEST_SECRET, store, idleTimeout: 0 }),
      /every session ends/,
    ],
    [
      "touchAfter too long",
      () => createSessionManager({ secret: TEST_SECRET, store, idleTimeout: "1h", touchAfter: "2h" }),
      /touchAfter/,
    ],
    [
      "bad policy",
      () => createSessionManager({ secret: TEST_SECRET, store, failurePolicy: "maybe" as never }),
      /failurePolicy/,
    ],
    ["bad namespace", () => new RedisStore({ redis: "redis://127.0.0.1", namespace: "a{b}" }), /namespace/],
    [
      "zero timeout",
      () => new RedisStore({ redis: "redis://127.0.0.1", commandTimeout: 0 }),
      /commandTimeout/,
    ],
  ];
  for (const [name, create, message] of cases) {
    it(name, async () => {
      let error: unknown;
      try {
        const created = create();
        // A bad client surfaces on first use of the store.
        if (created instanceof RedisStore) await created.load("x");
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SessionConfigError);
      expect((error as SessionConfigError).code).toBe("SESSION_CONFIG_INVALID");
      expect((error as Error).message).toMatch(message);
    });
  }

  it("derives touchAfter from a short idle timeout", () => {
    expect(createSessionManager({ secret: TEST_SECRET, store, idleTimeout: "10m" }).touchAfterMs).toBe(
      150_000,
    );
    expect(createSessionManager({ secret: TEST_SECRET, store }).touchAfterMs).toBe(300_000);
  });
});

describe("resolveSessionConfig defaults", () => {
  it("idle 1 day, absolute 14 days, touchAfter 5 minutes, fail-closed, cookie sid", () => {
    const config = resolveSessionConfig({ secret: TEST_SECRET });
    expect(config.idleTimeoutMs).toBe(86_400_000);
    expect(config.absoluteTimeoutMs).toBe(14 * 86_400_000);
    expect(config.touchAfterMs).toBe(300_000);
    expect(config.failurePolicy).toBe("closed");
    expect(config.cookies.options).toEqual({
      name: "sid",
      path: "/",
      domain: undefined,
      secure: "auto",
      httpOnly: true,
      sameSite: "lax",
      persistent: true,
    });
    expect(config.saveUninitialized).toBe(false);
    expect(config.rolling).toBe(false);
    expect(config.recordDevice).toBe(false);
    expect(config.codec).toBe(typedJsonCodec);
    expect(config.now).toBe(Date.now);
  });

  it("touchAfter defaults to the shorter of 5 minutes and a quarter of idleTimeout", () => {
    expect(resolveSessionConfig({ secret: TEST_SECRET, idleTimeout: "10m" }).touchAfterMs).toBe(150_000);
    expect(resolveSessionConfig({ secret: TEST_SECRET, idleTimeout: "20m" }).touchAfterMs).toBe(300_000);
    expect(resolveSessionConfig({ secret: TEST_SECRET, idleTimeout: "1h" }).touchAfterMs).toBe(300_000);
    expect(resolveSessionConfig({ secret: TEST_SECRET, idleTimeout: 1_000 }).touchAfterMs).toBe(250);
    // The absolute timeout does not bound it.
    expect(
      resolveSessionConfig({ secret: TEST_SECRET, idleTimeout: "1h", absoluteTimeout: "2m" }).touchAfterMs,
    ).toBe(300_000);
  });

  it("keeps what the options say over the defaults", () => {
    const config = resolveSessionConfig({
      secret: TEST_SECRET,
      idleTimeout: "2h",
      absoluteTimeout: "1d",
      touchAfter: "1m",
      failurePolicy: "open",
      cookie: { name: "app.sid" },
    });
    expect(config).toMatchObject({
      idleTimeoutMs: 7_200_000,
      absoluteTimeoutMs: 86_400_000,
      touchAfterMs: 60_000,
      failurePolicy: "open",
    });
    expect(config.cookies.options.name).toBe("app.sid");
  });
});
