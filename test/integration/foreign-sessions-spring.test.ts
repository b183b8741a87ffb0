import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ErrorCodes, type SessionError } from "../../src/common/errors.js";
import { foreignSession } from "../../src/interop/express.js";
import { ForeignSet } from "../../src/interop/foreign-value.js";
import { createSpringSessions, SPRING_PRINCIPAL_NAME_ATTRIBUTE, spring } from "../../src/interop/index.js";
import type { SpringAttributeCodec } from "../../src/interop/spring/spring-codec.js";
import { type RedisServerHandle, startRedisServer } from "../../tools/redis-harness/redis-server.js";

const { standalone, cluster } = inject("redis");
const PRINCIPAL = SPRING_PRINCIPAL_NAME_ATTRIBUTE;
let unique = 0;
const namespace = (what: string) => `t-spring-${process.pid}-${what}-${++unique}`;

/** A hash's fields as Buffers, by name. */
async function hashOf(redis: Redis, key: string): Promise<Map<string, Buffer>> {
  const flat = await redis.hgetallBuffer(key);
  return new Map(Object.entries(flat));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(["jdk", "json"] as const)("Spring Session's layout, %s attributes", (attributes) => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(standalone.port);
  });
  afterAll(() => redis.disconnect());

  const open = (ns: string, indexed: boolean) => {
    const format = spring({ attributes, namespace: ns, indexed, maxInactiveInterval: "30m" });
    return { format, sessions: createSpringSessions(format, { redis: standalone.url, logger: false }) };
  };
  const decode = (codec: SpringAttributeCodec, bytes: Buffer) => codec.toValue(codec.decode(bytes));

  it("a session Node creates is the hash Spring's RedisSessionRepository writes, expiring at lastAccessedTime + maxInactiveInterval", async () => {
    const ns = namespace("plain");
    const { format, sessions } = open(ns, false);
    try {
      const before = Date.now();
      const cookie = await sessions.create({ user: "alice", cart: [1, 2] });
      const id = Buffer.from(cookie, "base64").toString("latin1");
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const hash = await hashOf(redis, `${ns}:sessions:${id}`);
      expect([...hash.keys()].sort()).toEqual(
        [
          "creationTime",
          "lastAccessedTime",
          "maxInactiveInterval",
          "sessionAttr:cart",
          "sessionAttr:user",
        ].sort(),
      );
      const created = decode(format.codec, hash.get("creationTime") as Buffer) as number;
      expect(created).toBeGreaterThanOrEqual(before);
      expect(decode(format.codec, hash.get("maxInactiveInterval") as Buffer)).toBe(1800);
      expect(decode(format.codec, hash.get("sessionAttr:user") as Buffer)).toBe("alice");
      const expireAt = await redis.pexpiretime(`${ns}:sessions:${id}`);
      expect(Math.abs(expireAt - (created + 1800_000))).toBeLessThan(50);
      // The plain repository keeps nothing else.
      expect(await redis.keys(`${ns}:*`)).toEqual([`${ns}:sessions:${id}`]);
    } finally {
      await sessions.close();
    }
  });

  it("indexed: the shadow key, the minute's expiration set, the principal index and the created message, as RedisIndexedSessionRepository keeps them", async () => {
    const ns = namespace("indexed");
    const { format, sessions } = open(ns, true);
    const subscriber = new Redis(standalone.port);
    const messages: [string, Buffer][] = [];
    await subscriber.psubscribe(`${ns}:event:0:created:*`);
    subscriber.on("pmessageBuffer", (_pattern: Buffer, channel: Buffer, body: Buffer) =>
      messages.push([channel.toString(), body]),
    );
    try {
      const cookie = await sessions.create({ [PRINCIPAL]: "alice", theme: "dark" });
      const id = Buffer.from(cookie, "base64").toString("latin1");
      const key = `${ns}:sessions:${id}`;
      expect(await redis.ttl(key)).toBeGreaterThan(1800 + 300 - 3);
      expect(await redis.get(`${ns}:sessions:expires:${id}`)).toBe("");
      expect(await redis.ttl(`${ns}:sessions:expires:${id}`)).toBeGreaterThan(1800 - 3);
      const lastAccessed = decode(
        format.codec,
        (await hashOf(redis, key)).get("lastAccessedTime") as Buffer,
      ) as number;
      const minute = Math.floor((lastAccessed + 1800_000) / 60_000) * 60_000 + 60_000;
      const expirations = await redis.smembersBuffer(`${ns}:expirations:${minute}`);
      expect(expirations.map((member) => decode(format.codec, member))).toEqual([`expires:${id}`]);
      expect(await redis.ttl(`${ns}:expirations:${minute}`)).toBeGreaterThan(2100 - 3);
      const index = await redis.smembersBuffer(`${ns}:index:${PRINCIPAL}:alice`);
      expect(index.map((member) => decode(format.codec, member))).toEqual([id]);
      for (let i = 0; i < 50 && messages.length === 0; i++) await sleep(10);
      expect(messages.map(([channel]) => channel)).toEqual([`${ns}:event:0:created:${id}`]);
      const body = decode(format.codec, messages[0]?.[1] as Buffer) as Record<string, unknown>;
      expect(body.maxInactiveInterval).toBe(1800);
      expect(body.creationTime).toBe(lastAccessed);

      // findByPrincipalName; a change of principal moves the index entry.
      expect((await sessions.findByPrincipalName("alice")).map((found) => found.cookieValue)).toEqual([
        cookie,
      ]);
      expect(await sessions.update(cookie, { [PRINCIPAL]: "bob" })).toBe(true);
      expect(await sessions.findByPrincipalName("alice")).toEqual([]);
      expect((await sessions.findByPrincipalName("bob"))[0]?.data.theme).toBe("dark");

      // deleteById's way: the hash stays five minutes with interval 0 (expired), index and shadow gone.
      await sessions.destroy(cookie);
      expect(await sessions.get(cookie)).toBeUndefined();
      expect(await redis.exists(`${ns}:sessions:expires:${id}`)).toBe(0);
      expect(await redis.scard(`${ns}:index:${PRINCIPAL}:bob`)).toBe(0);
      expect(await redis.ttl(key)).toBeLessThanOrEqual(300);
      expect(decode(format.codec, (await hashOf(redis, key)).get("maxInactiveInterval") as Buffer)).toBe(0);
      expect(await sessions.update(cookie, { late: 1 })).toBe(false);
    } finally {
      subscriber.disconnect();
      await sessions.close();
    }
  });

  it("an update sets only its fields: what Spring wrote meanwhile survives, removals delete the field, and a destroyed session is not brought back", async () => {
    const ns = namespace("delta");
    const { format, sessions } = open(ns, false);
    try {
      const cookie = await sessions.create({ a: 1, b: "keep" });
      const key = `${ns}:sessions:${format.idOf(cookie)}`;
      // "Spring" (another writer) changes its own attribute between Node's read and write, many times.
      const springValue = (n: number) =>
        Buffer.from(format.codec.encode(format.codec.fromValue(`spring-${n}`)));
      let springWrites = 0;
      const spring = (async () => {
        for (; springWrites < 200; springWrites++)
          await redis.hset(key, "sessionAttr:s", springValue(springWrites));
      })();
      for (let i = 0; i < 200; i++) expect(await sessions.update(cookie, { n: i })).toBe(true);
      await spring;
      const data = (await sessions.get(cookie)) ?? {};
      expect(data.n).toBe(199);
      expect(data.s).toBe("spring-199");
      expect(data.b).toBe("keep");
      expect(await sessions.update(cookie, { b: undefined })).toBe(true);
      expect((await hashOf(redis, key)).has("sessionAttr:b")).toBe(false);
      // Spring writes a removed attribute as an empty value: that is "absent" too.
      await redis.hset(key, "sessionAttr:a", "");
      expect(Object.keys((await sessions.get(cookie)) ?? {}).sort()).toEqual(["n", "s"]);
      await redis.del(key);
      expect(await sessions.update(cookie, { n: 1 })).toBe(false);
      expect(await redis.exists(key)).toBe(0);
    } finally {
      await sessions.close();
    }
  });

  it("sessions past maxInactiveInterval, half-written hashes and cookies that are not Spring's are no session", async () => {
    const ns = namespace("dead");
    const diagnostics: string[] = [];
    const format = spring({ attributes, namespace: ns });
    const sessions = createSpringSessions(format, {
      redis: standalone.url,
      logger: false,
      onDiagnostic: (d) => diagnostics.push(d.code),
    });
    try {
      const cookie = await sessions.create({ a: 1 });
      const key = `${ns}:sessions:${format.idOf(cookie)}`;
      // Spring's view of expiry: lastAccessedTime + maxInactiveInterval in the past.
      await redis.hset(
        key,
        "lastAccessedTime",
        Buffer.from(format.codec.encode(format.codec.long(Date.now() - 3600_000))),
      );
      expect(await sessions.get(cookie)).toBeUndefined();
      expect(await sessions.update(cookie, { b: 1 })).toBe(false);
      // A hash without creationTime (a write that raced the key's expiry).
      await redis.hdel(key, "creationTime");
      expect(await sessions.get(cookie)).toBeUndefined();
      expect(diagnostics).toContain("SESSION_RECORD_CORRUPT");
      for (const hostile of [
        "",
        "x",
        "not base64!",
        Buffer.from("../../etc").toString("base64"),
        cookie.slice(1),
        `${cookie}=`,
      ])
        expect(await sessions.get(hostile)).toBeUndefined();
      const error = (await sessions.update("nope", { a: 1 }).catch((e: unknown) => e)) as SessionError;
      expect(error.status).toBe(400);
    } finally {
      await sessions.close();
    }
  });

  it("stress payloads: a thousand attributes, half a megabyte of text, deep nesting, hostile names", async () => {
    const ns = namespace("stress");
    const { sessions } = open(ns, true);
    try {
      let deep: unknown = "bottom";
      for (let i = 0; i < 60; i++) deep = [deep];
      const data: Record<string, unknown> = {
        big: "Zoë 🎉 ".repeat(40_000),
        deep,
        "__proto__-like": { ["__proto__"]: 1, constructor: "c" },
        "name with spaces, ü and 🎉": true,
      };
      for (let i = 0; i < 1000; i++) data[`a${i}`] = i;
      const cookie = await sessions.create(data);
      const read = (await sessions.get(cookie)) ?? {};
      expect(Object.keys(read).length).toBe(Object.keys(data).length);
      expect(read.big).toBe(data.big);
      expect(read.a999).toBe(999);
      expect(read["name with spaces, ü and 🎉"]).toBe(true);
      expect(Object.getPrototypeOf(read["__proto__-like"])).toBe(null);
      let level: unknown = read.deep;
      for (let i = 0; i < 60; i++) level = (level as unknown[])[0];
      expect(level).toBe("bottom");
      const changes: Record<string, unknown> = {};
      for (let i = 0; i < 1000; i += 2) changes[`a${i}`] = undefined;
      expect(await sessions.update(cookie, changes)).toBe(true);
      expect(Object.keys((await sessions.get(cookie)) ?? {}).length).toBe(Object.keys(data).length - 500);
    } finally {
      await sessions.close();
    }
  });

  it("a value Spring could not load is refused before anything is written", async () => {
    const ns = namespace("refuse");
    const { sessions } = open(ns, false);
    try {
      const cookie = await sessions.create({ a: 1 });
      const error = (await sessions.update(cookie, { f: () => 1 }).catch((e: unknown) => e)) as SessionError;
      expect(error).toBeInstanceOf(Error);
      expect(await sessions.get(cookie)).toEqual({ a: 1 });
      const big = (await sessions
        .update(cookie, { big: "x".repeat(2 * 1024 * 1024) })
        .catch((e: unknown) => e)) as SessionError;
      expect([big.code, big.status]).toEqual([ErrorCodes.TOO_LARGE, 413]);
    } finally {
      await sessions.close();
    }
  });

  it("Express: req.session is the Spring session of the SESSION cookie; a read marks it accessed; a new one gets Spring's cookie", async () => {
    const ns = namespace("express");
    const { format, sessions } = open(ns, true);
    const app = express();
    app.use(foreignSession(sessions));
    app.get("/read", (req, res) => {
      res.json({ user: (req as unknown as { session: Record<string, unknown> }).session.user ?? null });
    });
    app.post("/login", (req, res) => {
      const session = (req as unknown as { session: Record<string, unknown> }).session;
      session.user = "carol";
      session[PRINCIPAL] = "carol";
      session.roles = new ForeignSet(["admin"]);
      res.end("ok");
    });
    const server = app.listen(0);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const login = await fetch(`${base}/login`, { method: "POST" });
      const setCookie = login.headers.get("set-cookie") ?? "";
      expect(setCookie).toMatch(/^SESSION=[A-Za-z0-9+/=]+; Path=\/; HttpOnly; SameSite=Lax$/);
      const cookie = setCookie.slice("SESSION=".length, setCookie.indexOf(";"));
      const key = `${ns}:sessions:${format.idOf(cookie)}`;
      const accessed = async () =>
        decode(format.codec, (await hashOf(redis, key)).get("lastAccessedTime") as Buffer);
      const first = await accessed();
      await sleep(5);
      const read = await fetch(`${base}/read`, { headers: { cookie: `SESSION=${cookie}` } });
      expect(await read.json()).toEqual({ user: "carol" });
      expect(await accessed()).toBeGreaterThan(first as number);
      expect((await sessions.findByPrincipalName("carol")).length).toBe(1);
      const anonymous = await fetch(`${base}/read`, { headers: { cookie: "SESSION=bm90LWEtdXVpZA==" } });
      expect(await anonymous.json()).toEqual({ user: null });
    } finally {
      server.close();
      await sessions.close();
    }
  });
});

describe("Spring sessions on a Redis Cluster", () => {
  it("the hash, shadow key, expiration set and principal index sit in different slots: each is written on its own node", async () => {
    const ns = `t-spring-cluster-${process.pid}`;
    const format = spring({ attributes: "jdk", namespace: ns, indexed: true });
    const sessions = createSpringSessions(format, {
      redis: `redis+cluster://127.0.0.1:${cluster.primaries[0]}`,
      logger: false,
    });
    try {
      const cookies = await Promise.all(
        Array.from({ length: 6 }, (_, i) => sessions.create({ [PRINCIPAL]: "dora", i })),
      );
      expect((await sessions.findByPrincipalName("dora")).map((s) => s.cookieValue).sort()).toEqual(
        [...cookies].sort(),
      );
      for (const cookie of cookies) expect(await sessions.update(cookie, { seen: true })).toBe(true);
      await sessions.destroy(cookies[0] as string);
      expect((await sessions.findByPrincipalName("dora")).length).toBe(5);
    } finally {
      await sessions.close();
    }
  });
});

describe("Spring's expired event", () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer({ name: "spring-events", args: ["--notify-keyspace-events", "Egx"] });
  });
  afterAll(() => server?.stop());

  it("the shadow key of a session Node wrote expires first, and the hash is still there for Spring's listener to load", async () => {
    const ns = `t-spring-expiry-${process.pid}`;
    const format = spring({ attributes: "json", namespace: ns, indexed: true });
    const sessions = createSpringSessions(format, { redis: server.url, logger: false });
    const subscriber = new Redis(server.port);
    const expired: string[] = [];
    await subscriber.subscribe("__keyevent@0__:expired");
    subscriber.on("message", (_channel: string, key: string) => expired.push(key));
    const redis = new Redis(server.port);
    try {
      const cookie = await sessions.create({ a: 1 }, { ttl: "1s" });
      const id = format.idOf(cookie);
      for (let i = 0; i < 400 && expired.length === 0; i++) await sleep(10);
      expect(expired).toEqual([`${ns}:sessions:expires:${id}`]);
      expect(await redis.exists(`${ns}:sessions:${id}`)).toBe(1);
      expect(await redis.ttl(`${ns}:sessions:${id}`)).toBeGreaterThan(290);
    } finally {
      subscriber.disconnect();
      redis.disconnect();
      await sessions.close();
    }
  });
});
