import { tracingChannel } from "node:diagnostics_channel";
/**
 * One benchmark app in its own process: `node --import tsx bench/apps/server.ts <variant> <redis-url>`.
 * Listens on 127.0.0.1 (a free port), reports `{ type: "ready", port }` over IPC, and exits cleanly on
 * SIGTERM or an IPC `{ type: "stop" }` (so `--cpu-prof` can write its profile).
 */
import { createServer, type Server } from "node:http";
import fastifyCookie from "@fastify/cookie";
import fastifySession, { type FastifySessionObject } from "@fastify/session";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import express, { type Request } from "express";
import expressSession, { type Session as ExpressSession } from "express-session";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { Redis } from "ioredis";
import { createClient } from "redis";
import type * as ExpressAdapter from "../../src/adapters/express/index.js";
import type * as FastifyAdapter from "../../src/adapters/fastify/index.js";
import type * as SessionManagerModule from "../../src/create-session-manager.js";
import type * as Metrics from "../../src/metrics/index.js";
import type * as KeyLayout from "../../src/redis/key-layout.js";
import type * as WriteBatch from "../../src/redis/tuning/write-batch.js";
import type * as SessionCookie from "../../src/session/cookies/session-cookie.js";
import type * as SessionId from "../../src/session/session-id.js";
import { builtModule } from "../lib/build.js";
import { BENCH_SECRET, BENCH_USER, type Cart, CEILING_KEY, makeCart } from "../lib/payload.js";
import { isVariant, type Variant } from "./variants.js";

const ONE_DAY_MS = 86_400_000;
const HOST = "127.0.0.1";

/** The attributes every variant's session holds. */
interface BenchData {
  user?: string;
  counter?: number;
  cart?: Cart;
}

interface Running {
  port: number;
  close(): Promise<void>;
}

/** Session routes written once against a plain attribute object. */
const handlers = {
  login(data: BenchData): void {
    data.user = BENCH_USER;
    data.counter = 0;
    data.cart = makeCart(0);
  },
  read(data: BenchData) {
    return { user: data.user ?? null, counter: data.counter ?? 0 };
  },
  readCart(data: BenchData) {
    return { user: data.user ?? null, counter: data.counter ?? 0, items: data.cart?.items.length ?? 0 };
  },
  write(data: BenchData) {
    const counter = (data.counter ?? 0) + 1;
    data.counter = counter;
    data.cart = makeCart(counter);
    return { counter };
  },
  noop() {
    return { ok: true };
  },
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host: HOST }, () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function expressSessionkitApp(redisUrl: string): Promise<Running> {
  const { session: expressSessionkit } = await builtModule<typeof ExpressAdapter>("adapters/express/index");
  const middleware = expressSessionkit({ redis: redisUrl, secret: BENCH_SECRET, namespace: "bench" });
  await (middleware.manager.store as { verify?: () => Promise<unknown> }).verify?.();
  const app = express();
  app.use(middleware);
  mountExpressRoutes(app, (req) => req.session as unknown as BenchData);
  return serveExpress(app, () => middleware.close());
}

/** Serves an Express app on a free loopback port; close() stops the server, then releases the rest. */
async function serveExpress(app: express.Express, release: () => Promise<unknown>): Promise<Running> {
  const server = createServer(app);
  const port = await listen(server);
  return {
    port,
    async close() {
      await closeServer(server);
      await release();
    },
  };
}

/** The bench routes on an Express app, the same for every Express variant that has a session. */
function mountExpressRoutes(app: express.Express, data: (req: Request) => BenchData): void {
  app.post("/login", (req, res) => {
    handlers.login(data(req));
    res.status(204).end();
  });
  app.get("/read", (req, res) => {
    res.json(handlers.read(data(req)));
  });
  app.get("/read-cart", (req, res) => {
    res.json(handlers.readCart(data(req)));
  });
  app.post("/write", (req, res) => {
    res.json(handlers.write(data(req)));
  });
  app.get("/noop", (_req, res) => {
    res.json(handlers.noop());
  });
}

/** Listens on a free loopback port; close() closes the app, then releases the rest. */
async function serveFastify(app: FastifyInstance, release: () => Promise<unknown>): Promise<Running> {
  await app.listen({ port: 0, host: HOST });
  return {
    port: addressPort(app.server),
    async close() {
      await app.close();
      await release();
    },
  };
}

/** The bench routes on a Fastify app, the same for every Fastify variant that has a session. */
function mountFastifyRoutes(app: FastifyInstance, data: (request: FastifyRequest) => BenchData): void {
  app.post("/login", async (request, reply) => {
    handlers.login(data(request));
    return reply.code(204).send();
  });
  app.get("/read", async (request) => handlers.read(data(request)));
  app.get("/read-cart", async (request) => handlers.readCart(data(request)));
  app.post("/write", async (request) => handlers.write(data(request)));
  app.get("/noop", async () => handlers.noop());
}

async function fastifySessionkitApp(
  redisUrl: string,
  withMetrics = false,
  withEmptySubscriber = false,
): Promise<Running> {
  const { session: fastifySessionkit } = await builtModule<typeof FastifyAdapter>("adapters/fastify/index");
  const plugin = fastifySessionkit({ redis: redisUrl, secret: BENCH_SECRET, namespace: "bench" });
  await (plugin.manager.store as { verify?: () => Promise<unknown> }).verify?.();
  if (withMetrics) {
    const { registerMetrics } = await builtModule<typeof Metrics>("metrics/index");
    const { Registry } = await import("prom-client");
    registerMetrics(plugin.manager, { registry: new Registry() });
  }
  if (withEmptySubscriber) {
    const ignore = () => {};
    const handlers = { start: ignore, end: ignore, asyncStart: ignore, asyncEnd: ignore, error: ignore };
    tracingChannel("sessionkit:load").subscribe(handlers);
    tracingChannel("sessionkit:commit").subscribe(handlers);
  }
  const app = Fastify({ logger: false });
  await app.register(plugin);
  mountFastifyRoutes(app, (request) => request.session as unknown as BenchData);
  return serveFastify(app, async () => {});
}

async function nodeRedisClient(redisUrl: string) {
  const client = createClient({ url: redisUrl });
  client.on("error", () => {});
  await client.connect();
  return client;
}

async function expressConnectRedisApp(redisUrl: string): Promise<Running> {
  const client = await nodeRedisClient(redisUrl);
  const app = express();
  app.use(
    expressSession({
      store: new ConnectRedisStore({ client }),
      secret: BENCH_SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: ONE_DAY_MS },
    }),
  );
  mountExpressRoutes(app, (req) => req.session as unknown as ExpressSession & BenchData);
  return serveExpress(app, () => client.quit());
}

async function fastifyConnectRedisApp(redisUrl: string): Promise<Running> {
  const client = await nodeRedisClient(redisUrl);
  const app = Fastify({ logger: false });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: BENCH_SECRET,
    store: new ConnectRedisStore({ client }),
    saveUninitialized: false,
    cookie: { secure: false, maxAge: ONE_DAY_MS },
  });
  mountFastifyRoutes(app, (request) => request.session as unknown as FastifySessionObject & BenchData);
  return serveFastify(app, () => client.quit());
}

/**
 * "sessionkit": the transport sessionkit gives its own clients (ioredis, auto-pipelining off, a loop turn's
 * commands in one write: src/redis/write-batch.ts), so the ceiling stays the fastest one-GET app and a
 * ratio to it measures the session layer alone. "plain": ioredis as it comes (every command its own write).
 */
type Transport = "sessionkit" | "plain";

async function ceilingClient(redisUrl: string, transport: Transport): Promise<Redis> {
  const url = new URL(redisUrl);
  const client = new Redis({ host: url.hostname, port: Number(url.port), enableAutoPipelining: false });
  client.on("error", () => {});
  if (transport === "sessionkit") {
    const { batchWritesPerTurn } = await builtModule<typeof WriteBatch>("redis/tuning/write-batch");
    batchWritesPerTurn(client);
  }
  return client;
}

/** What the ceiling answers: a small JSON body, like the session routes. */
function ceilingBody(value: string | null) {
  return { bytes: value?.length ?? 0 };
}

async function expressCeilingApp(redisUrl: string, dictionary = false): Promise<Running> {
  const client = await ceilingClient(redisUrl, "sessionkit");
  const app = express();
  if (dictionary) {
    // What sessionkit/express does to req and res (src/adapters/node/dictionary-mode.ts), nothing else.
    const scratch = Symbol("dictionaryMode");
    const toDictionary = (target: object) => {
      (target as Record<symbol, unknown>)[scratch] = undefined;
      delete (target as Record<symbol, unknown>)[scratch];
    };
    app.use((req, res, next) => {
      toDictionary(req);
      toDictionary(res);
      next();
    });
  }
  app.post("/login", (_req, res) => {
    res.status(204).end();
  });
  for (const [method, path] of [
    ["get", "/read"],
    ["get", "/read-cart"],
    ["post", "/write"],
    ["get", "/noop"],
  ] as const) {
    app[method](path, (_req, res, next) => {
      client.get(CEILING_KEY).then((value) => res.json(ceilingBody(value)), next);
    });
  }
  return serveExpress(app, () => client.quit());
}

async function fastifyCeilingApp(redisUrl: string, transport: Transport = "sessionkit"): Promise<Running> {
  const client = await ceilingClient(redisUrl, transport);
  const app = Fastify({ logger: false });
  app.post("/login", async (_request, reply) => reply.code(204).send());
  const oneGet = async () => ceilingBody(await client.get(CEILING_KEY));
  app.get("/read", oneGet);
  app.get("/read-cart", oneGet);
  app.post("/write", oneGet);
  app.get("/noop", oneGet);
  return serveFastify(app, () => client.quit());
}

/**
 * (i) The least a session read can do, as a floor for (b): an onRequest hook reads the session cookie,
 * hashes the ID into sessionkit's key (sessionkit's own functions) and GETs the record on (f)'s transport;
 * an onSend hook is there as a session layer's commit hook is. None of the rules: no signature check, no
 * parse or seal check, no deadlines, no timeout, no change check. Sessions are created by sessionkit's
 * SessionManager, so the records and cookies are those of (b).
 */
async function fastifyBareReadApp(redisUrl: string): Promise<Running> {
  const { createSessionManager } = await builtModule<typeof SessionManagerModule>("create-session-manager");
  const { readCookie } = await builtModule<typeof SessionCookie>("session/cookies/session-cookie");
  const { sessionKeyId } = await builtModule<typeof SessionId>("session/session-id");
  const { createKeyLayout } = await builtModule<typeof KeyLayout>("redis/key-layout");
  const manager = createSessionManager({ redis: redisUrl, secret: BENCH_SECRET, namespace: "bench" });
  const keys = createKeyLayout("sk", "bench");
  const client = await ceilingClient(redisUrl, "sessionkit");
  const app = Fastify({ logger: false });
  app.decorateRequest("bareRecord", null);
  type BareRequest = FastifyRequest & { bareRecord: string | null };
  app.post("/login", async (request, reply) => {
    const session = await manager.load({ cookieHeader: request.headers.cookie, secure: false });
    handlers.login(session as unknown as BenchData);
    const setCookie = await manager.commit(session);
    if (setCookie !== undefined) reply.header("set-cookie", setCookie);
    return reply.code(204).send();
  });
  app.addHook("onRequest", (request, _reply, done) => {
    if (request.url === "/login") return done();
    const cookie = readCookie(request.headers.cookie, manager.cookie.name) ?? "";
    const key = keys.sessionKey(sessionKeyId(cookie.slice(0, cookie.lastIndexOf("."))));
    client.get(key).then((record) => {
      (request as BareRequest).bareRecord = record;
      done();
    }, done);
  });
  app.addHook("onSend", (_request, _reply, payload, done) => done(null, payload));
  const bareRead = async (request: FastifyRequest) => ceilingBody((request as BareRequest).bareRecord);
  app.get("/read", bareRead);
  app.get("/read-cart", bareRead);
  app.post("/write", bareRead);
  app.get("/noop", bareRead);
  return serveFastify(app, async () => {
    await client.quit();
    await manager.close();
  });
}

function addressPort(server: Server): number {
  const address = server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

const STARTERS: Record<Variant, (redisUrl: string) => Promise<Running>> = {
  "express-sessionkit": expressSessionkitApp,
  "fastify-sessionkit": (redisUrl) => fastifySessionkitApp(redisUrl),
  "fastify-sessionkit-metrics": (redisUrl) => fastifySessionkitApp(redisUrl, true),
  "fastify-sessionkit-traced": (redisUrl) => fastifySessionkitApp(redisUrl, false, true),
  "express-connect-redis": expressConnectRedisApp,
  "fastify-connect-redis": fastifyConnectRedisApp,
  "express-ceiling": expressCeilingApp,
  "fastify-ceiling": fastifyCeilingApp,
  "express-ceiling-dict": (redisUrl) => expressCeilingApp(redisUrl, true),
  "fastify-ceiling-plain": (redisUrl) => fastifyCeilingApp(redisUrl, "plain"),
  "fastify-bare-read": fastifyBareReadApp,
};

async function main(): Promise<void> {
  const [variant = "", redisUrl = ""] = process.argv.slice(2);
  if (!isVariant(variant) || !redisUrl.startsWith("redis://")) {
    throw new Error(`usage: server.ts <variant> <redis-url> (got ${JSON.stringify([variant, redisUrl])})`);
  }
  const running = await STARTERS[variant](redisUrl);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.close().catch(() => {});
    // process.exit (not a signal death) lets --cpu-prof write its profile.
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("message", (message: { type?: string }) => {
    if (message?.type === "stop") void stop();
  });
  // The parent going away (crash, ^C) must not leave this server running.
  process.on("disconnect", () => void stop());
  process.send?.({ type: "ready", port: running.port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
