/**
 * Type tests, checked by `npm run typecheck` (tsc over test/) and never run: each `@ts-expect-error`
 * fails the check when the line it marks stops being an error, and every other line fails it when it
 * stops compiling. They pin what apps rely on: typed attributes by declaration merging on every
 * framework, and the express-session store fitting express-session's and @fastify/session's store types.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import fastifySessionPlugin from "@fastify/session";
import express from "express";
import expressSession from "express-session";
import Fastify from "fastify";
import { Hono } from "hono";
import { Redis } from "ioredis";
import Koa from "koa";
import { createClient } from "redis";
import { session as expressAdapter } from "../../src/adapters/express/index.js";
import { session as fastifyAdapter } from "../../src/adapters/fastify/index.js";
import { session as honoAdapter, type SessionEnv } from "../../src/adapters/hono/index.js";
import { session as koaAdapter } from "../../src/adapters/koa/index.js";
import { session as nodeAdapter } from "../../src/adapters/node/index.js";
import { RedisStore } from "../../src/compat/express-session/index.js";

declare module "../../src/index.js" {
  interface SessionData {
    typeTestCount: number;
  }
}

const options = { redis: "redis://127.0.0.1:6379", secret: "type-test-secret-0123456789-abcdefghijkl" };

export function fastifyTypes() {
  const app = Fastify();
  app.register(fastifyAdapter(options));
  app.get("/", async (request) => {
    const count: number | undefined = request.session.typeTestCount;
    // @ts-expect-error an attribute keeps the type SessionData gives it
    request.session.typeTestCount = "three";
    // @ts-expect-error an attribute SessionData does not declare is an error, not any
    request.session.undeclared = 1;
    const regenerated: Promise<void> = request.session.regenerate({ keepData: false });
    return { count, regenerated };
  });
}

export function honoTypes() {
  const app = new Hono<SessionEnv>();
  app.use(honoAdapter(options));
  app.get("/", (c) => {
    const count: number | undefined = c.get("session").typeTestCount;
    // @ts-expect-error an attribute keeps the type SessionData gives it
    c.get("session").typeTestCount = "three";
    // @ts-expect-error only the variables of SessionEnv exist
    c.get("notTheSession");
    return c.json({ count });
  });

  // Data typed per app instead of globally.
  interface Cart {
    cartSize: number;
  }
  const typed = new Hono<SessionEnv<Cart>>();
  typed.use(honoAdapter<Cart>(options));
  typed.get("/", (c) => {
    const size: number | undefined = c.get("session").cartSize;
    // @ts-expect-error SessionEnv<Cart> replaces SessionData
    c.get("session").typeTestCount;
    return c.json({ size });
  });

  const untyped = new Hono();
  untyped.get("/", (c) => {
    // @ts-expect-error without SessionEnv the context has no session variable
    c.get("session");
    return c.text("");
  });
}

export function koaTypes() {
  const app = new Koa();
  app.use(koaAdapter(options));
  app.use(async (ctx) => {
    const count: number | undefined = ctx.session.typeTestCount;
    // @ts-expect-error an attribute keeps the type SessionData gives it
    ctx.session.typeTestCount = "three";
    await ctx.session.destroy();
    ctx.body = { count };
  });
}

export function expressTypes() {
  const app = express();
  app.use(expressAdapter(options));
  app.get("/", (req, res) => {
    const count: number | undefined = req.session.typeTestCount;
    // @ts-expect-error an attribute keeps the type SessionData gives it
    req.session.typeTestCount = "three";
    res.json({ count });
  });
}

export async function nodeTypes(req: IncomingMessage, res: ServerResponse) {
  const loadSession = nodeAdapter(options);
  const s = await loadSession<{ views: number }>(req, res);
  const views: number | undefined = s.views;
  // @ts-expect-error the loader's type argument replaces SessionData
  s.typeTestCount;
  return views;
}

export function expressSessionStoreTypes() {
  // The connect-redis line, unchanged but for the import: both clients are accepted.
  expressSession({ secret: options.secret, store: new RedisStore({ client: new Redis() }) });
  expressSession({ secret: options.secret, store: new RedisStore({ client: createClient() }) });
  expressSession({
    secret: options.secret,
    store: new RedisStore({ redis: options.redis, prefix: "myapp:" }),
  });
  Fastify().register(fastifySessionPlugin, {
    secret: options.secret,
    store: new RedisStore({ redis: options.redis }),
  });
  // @ts-expect-error every key has a TTL: connect-redis's disableTTL is refused
  new RedisStore({ client: new Redis(), disableTTL: true });
  // @ts-expect-error the client is required (or a URL)
  new RedisStore({ prefix: "sess:" });
}
