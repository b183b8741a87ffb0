import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { django } from "../../src/interop/django.js";
import { type ForeignSessionHandle, foreignSession } from "../../src/interop/express.js";
import { createForeignSessions, type ForeignSessions } from "../../src/interop/foreign-sessions.js";

const { standalone } = inject("redis");

type Request = { session: Record<string, unknown> | null; foreignSession: ForeignSessionHandle };

describe("foreignSession Express middleware", () => {
  let sessions: ForeignSessions;
  let redis: Redis;
  let base: string;
  let server: ReturnType<ReturnType<typeof express>["listen"]>;

  beforeAll(() => {
    redis = new Redis(standalone.port);
    sessions = createForeignSessions(django({ keyPrefix: `t-mw-${process.pid}` }), {
      redis: standalone.url,
      logger: false,
    });
    const app = express();
    app.use(foreignSession(sessions));
    app.get("/read", (req, res) => {
      res.json((req as unknown as Request).session);
    });
    app.get("/set", (req, res) => {
      const session = (req as unknown as Request).session as Record<string, unknown>;
      session.cart = { items: [1] };
      res.json({ id: (req as unknown as Request).foreignSession.id ?? null });
    });
    app.get("/deep", (req, res) => {
      const session = (req as unknown as Request).session as { cart: { items: number[] } };
      session.cart.items.push(2);
      res.end();
    });
    app.get("/remove", (req, res) => {
      delete ((req as unknown as Request).session as Record<string, unknown>).cart;
      res.end();
    });
    app.get("/null", (req, res) => {
      (req as unknown as Request).session = null;
      res.end();
    });
    app.get("/destroy", (req, res) => {
      (req as unknown as Request).foreignSession.destroy();
      res.end();
    });
    server = app.listen(0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await sessions.close();
    redis.disconnect();
  });

  const get = (path: string, id?: string) =>
    fetch(`${base}${path}`, id ? { headers: { cookie: `sessionid=${id}` } } : {});

  it("creates the session (and the framework's cookie) only when a request stores something", async () => {
    // This file's own keys only: other test files share the server.
    const keys = () => redis.keys(`t-mw-${process.pid}:*`);
    const before = (await keys()).length;
    const read = await get("/read");
    expect(read.headers.get("set-cookie")).toBeNull();
    expect(await read.json()).toEqual({});
    expect((await keys()).length).toBe(before);
    const set = await get("/set");
    const id = /sessionid=([a-z0-9]{32}); Path=\/; HttpOnly; SameSite=Lax/.exec(
      set.headers.get("set-cookie") ?? "",
    )?.[1];
    expect(id).toBeDefined();
    expect(await sessions.get(id as string)).toEqual({ cart: { items: [1] } });
    expect(await redis.pttl(sessions.format.keyFor(id as string) as string)).toBeGreaterThan(1_209_000_000);
  });

  it("writes deep changes and removals, ends the session on req.session = null or destroy()", async () => {
    const id = await sessions.create({ cart: { items: [1] }, keep: "me" });
    await get("/deep", id);
    expect(await sessions.get(id)).toEqual({ cart: { items: [1, 2] }, keep: "me" });
    await get("/remove", id);
    expect(await sessions.get(id)).toEqual({ keep: "me" });
    await get("/null", id);
    expect(await sessions.get(id)).toBeUndefined();
    const other = await sessions.create({ a: 1 });
    await get("/destroy", other);
    expect(await sessions.get(other)).toBeUndefined();
  });

  it("a cookie that is not a Django session key is no session, and is never looked up", async () => {
    const response = await get("/read", "NOT-A-KEY");
    expect(await response.json()).toEqual({});
  });
});
