import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SessionStoreError } from "../src/core/errors.js";
import { RedisStore } from "../src/store/redis-store.js";
import { type RedisServerHandle, startRedisServer } from "./harness/redis-server.js";
import { testNamespace } from "./support/browser.js";
import { type SwitchProxy, startSwitchProxy } from "./support/switch-proxy.js";

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
