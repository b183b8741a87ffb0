import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RedisStore as ExpressSessionStore } from "../../src/compat/express-session/index.js";
import { createSessionManager } from "../../src/create-session-manager.js";
import type { SessionManager } from "../../src/session/session-manager.js";

const { standalone } = inject("redis");

/**
 * Records written by release 0.1 (test/fixtures/release-0-1-records.json: every key it wrote for two
 * sessions and the express-session store, made by its own code against a real Redis) must load after the
 * upgrade: the key layout and the record format are part of the API.
 */
interface Fixture {
  secret: string;
  now: number;
  namespace: string;
  keyPrefix: string;
  cookies: { anonymous: string; principal: string };
  keys: Record<string, { type: "string"; value: string } | { type: "zset"; members: string[] }>;
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/release-0-1-records.json", import.meta.url), "utf8"),
) as Fixture;

describe("records written by release 0.1", () => {
  let redis: Redis;
  let manager: SessionManager;
  let clock = fixture.now + 60_000;

  beforeAll(async () => {
    redis = new Redis(standalone.port, "127.0.0.1");
    for (const [key, entry] of Object.entries(fixture.keys)) {
      if (entry.type === "string") await redis.set(key, entry.value, "PX", 600_000);
      else {
        await redis.zadd(
          key,
          ...entry.members.flatMap((_, i, m) => (i % 2 === 0 ? [m[i + 1] as string, m[i] as string] : [])),
        );
        await redis.pexpire(key, 600_000);
      }
    }
    manager = createSessionManager({
      redis: standalone.url,
      secret: fixture.secret,
      namespace: fixture.namespace,
      keyPrefix: fixture.keyPrefix,
      index: { recordDevice: true },
      now: () => clock,
    });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${fixture.keyPrefix}:${fixture.namespace}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await manager?.close();
    redis?.disconnect();
  });

  it("loads an anonymous session with short, long and typed values, and odd names", async () => {
    const session = (await manager.load({
      cookieHeader: fixture.cookies.anonymous,
      secure: false,
    })) as unknown as Record<string, unknown>;
    const meta = (session as unknown as { meta: { isNew: boolean; principal?: string } }).meta;
    expect(meta.isNew).toBe(false);
    expect(session.user).toBe("ann");
    expect(session.counter).toBe(3);
    expect((session.cart as { items: unknown[] }).items).toHaveLength(10);
    expect(session.when).toEqual(new Date(fixture.now));
    expect(session.tags).toEqual(new Set(["a", "b"]));
    expect(session.big).toBe(12345678901234567890n);
    expect(session.map).toEqual(new Map([["k", 1]]));
    expect(session.$dollar).toBe("d");
    expect(session["with\u001eseparator"]).toBe("v\u001fw\u001dx");
    expect(Object.getOwnPropertyDescriptor(session, "__proto__")?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(session)).not.toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("loads a logged-in session, lists it under its principal with its device, and keeps writing it", async () => {
    const session = (await manager.load({
      cookieHeader: fixture.cookies.principal,
      secure: false,
    })) as unknown as {
      meta: { isNew: boolean; principal?: string };
      userId?: number;
      cart?: { items: unknown[] };
    };
    expect(session.meta.isNew).toBe(false);
    expect(session.meta.principal).toBe("user-42");
    expect(session.userId).toBe(42);
    expect(session.cart?.items).toHaveLength(10);
    const devices = await manager.listSessions("user-42", session as never);
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ current: true, userAgent: "Mozilla/5.0 fixture", ip: "203.0.113.7" });
    session.userId = 43;
    clock += 10 * 60_000;
    await manager.commit(session as never);
    const again = (await manager.load({
      cookieHeader: fixture.cookies.principal,
      secure: false,
    })) as unknown as {
      userId?: number;
      cart?: { items: unknown[] };
    };
    expect(again.userId).toBe(43);
    expect(again.cart?.items).toHaveLength(10);
  });

  it("the express-session store reads its records and honours its tombstones", async () => {
    const store = new ExpressSessionStore({
      redis: standalone.url,
      namespace: fixture.namespace,
      prefix: false,
    });
    try {
      expect(await store.get("express-session-sid-kept")).toMatchObject({ user: "bob" });
      await store.set("express-session-sid-gone", { cookie: { originalMaxAge: null } });
      expect(await store.get("express-session-sid-gone")).toBeNull();
    } finally {
      await store.close();
    }
  });
});
