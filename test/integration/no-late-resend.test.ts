import type { AddressInfo } from "node:net";
import { createConnection, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RedisSessionStore } from "../../src/redis/redis-session-store.js";
import { testNamespace } from "../support/browser.js";

const { standalone } = inject("redis");

/**
 * A proxy that can swallow what the client sends (the command never reaches Redis, as when a link dies
 * mid-flight) and cut every connection.
 */
async function startSwallowingProxy(targetPort: number) {
  const sockets = new Set<Socket>();
  const state = { swallow: false };
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("data", (chunk) => {
      if (!state.swallow) upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    state,
    dropAll: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("a write that timed out is not sent again after a reconnect (item 10)", () => {
  let proxy: Awaited<ReturnType<typeof startSwallowingProxy>>;
  let store: RedisSessionStore;
  beforeAll(async () => {
    proxy = await startSwallowingProxy(standalone.port);
    store = new RedisSessionStore({
      redis: `redis://127.0.0.1:${proxy.port}`,
      namespace: testNamespace("resend"),
      commandTimeout: 300,
    });
    await store.verify();
  });
  afterAll(async () => {
    proxy?.dropAll();
    await store?.close();
    await proxy?.close();
  });

  it("answers the timeout, and the write never lands later", async () => {
    const keyId = `resend-${Date.now()}`;
    const now = Date.now();
    const meta: [string, string][] = [
      ["$c", String(now)],
      ["$a", String(now)],
      ["$x", String(now + 60_000)],
    ];
    await store.write(keyId, { mode: "create", set: meta, remove: [], ttlMs: 60_000 });
    proxy.state.swallow = true;
    await expect(
      store.write(keyId, { mode: "update", set: [["late", "1"]], remove: [], ttlMs: 60_000 }),
    ).rejects.toMatchObject({ code: "SESSION_STORE_TIMEOUT" });
    // The link dies with the write still unanswered; the client reconnects.
    proxy.state.swallow = false;
    proxy.dropAll();
    await expect
      .poll(async () => (await store.load(keyId).catch(() => null)) !== null, { timeout: 5000 })
      .toBe(true);
    // Give a re-sent command every chance to arrive.
    for (let i = 0; i < 5; i++) await store.load(keyId);
    const record = await store.load(keyId);
    expect(record?.get("late")).toBeUndefined();
  });
});
