import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSessionManager } from "../../src/create-session-manager.js";
import type { RedisStore } from "../../src/redis/redis-session-store.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { TEST_SECRET } from "../support/browser.js";
import { readRecord } from "../support/records.js";

const { standalone } = inject("redis");

/** The benchmark's payload: a user, a counter and a cart of 10 items whose JSON is about 1 KB. */
const cart = {
  items: Array.from({ length: 10 }, (_, i) => ({
    sku: `SKU-${100_000 + i}`,
    name: `Product title number ${i}`,
    qty: 1 + (i % 3),
    priceCents: 1999 + i * 100,
    gift: false,
  })),
  currency: "EUR",
  updatedAt: 1_767_225_600_000,
};

describe("session records in Redis at server defaults", () => {
  let redis: Redis;
  let manager: SessionManager;
  // The default namespace "default" (so keys are as long as in production), isolated by a 2-character prefix.
  const keyPrefix = `t${randomBytes(1).toString("hex").slice(0, 1)}`;

  beforeAll(async () => {
    redis = new Redis(standalone.port, "127.0.0.1");
    manager = createSessionManager({ redis: standalone.url, secret: TEST_SECRET, keyPrefix });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${keyPrefix}:default:*`);
    if (keys.length > 0) await redis.del(...keys);
    await manager?.close();
    redis?.disconnect();
  });

  it("stores a session with a 1 KB value as one string under a key of at most 44 characters, no bigger than connect-redis's", async () => {
    const session = await manager.load({ cookieHeader: undefined, secure: false });
    Object.assign(session, { user: "user-4711", counter: 0, cart });
    await manager.commit(session);
    const key = (manager.store as RedisStore).keys.sessionKey(session.meta.keyId);
    expect(key).toMatch(new RegExp(`^${keyPrefix}:default:s:\\{[A-Za-z0-9_-]{22}\\}$`));
    expect(key.length).toBeLessThanOrEqual(44);
    expect(await redis.type(key)).toBe("string");
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    expect(JSON.parse((await readRecord(redis, key))?.user ?? "null")).toBe("user-4711");
    // connect-redis's record of the same data: key "sess:<32-char id>", JSON with express-session's cookie.
    const theirs = `sess:${randomBytes(24).toString("base64url")}`;
    const cookie = {
      originalMaxAge: 86_400_000,
      expires: new Date().toISOString(),
      httpOnly: true,
      path: "/",
    };
    await redis.set(theirs, JSON.stringify({ cookie, user: "user-4711", counter: 0, cart }), "PX", 60_000);
    try {
      const ours = Number(await redis.memory("USAGE", key, "SAMPLES", 0));
      expect(ours).toBeLessThanOrEqual(Number(await redis.memory("USAGE", theirs, "SAMPLES", 0)));
    } finally {
      await redis.del(theirs);
    }
  });

  it("keeps both of two overlapping requests that change different attributes, and removes what is deleted", async () => {
    const created = await manager.load({ cookieHeader: undefined, secure: false });
    Object.assign(created, { cart, note: "x", gone: "soon" });
    const cookieHeader = ((await manager.commit(created)) as string | undefined)?.split(";")[0];
    const request = () => manager.load({ cookieHeader, secure: false });
    const [first, second] = await Promise.all([request(), request()]);
    Object.assign(first as object, { theme: "dark" });
    Object.assign(second as object, { note: "🎉 changed \x1e\x1f" });
    delete (second as { gone?: unknown }).gone;
    await Promise.all([manager.commit(first as never), manager.commit(second as never)]);
    const after = (await request()) as unknown as Record<string, unknown>;
    expect({ theme: after.theme, note: after.note, gone: after.gone }).toEqual({
      theme: "dark",
      note: "🎉 changed \x1e\x1f",
      gone: undefined,
    });
    expect(after.cart).toEqual(cart);
  });
});
