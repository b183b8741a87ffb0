import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import cookieSessionMiddleware from "cookie-session";
import express from "express";
import expressSessionMiddleware from "express-session";
import { Redis } from "ioredis";
import Koa from "koa";
import koaSessionMiddleware from "koa-session";
import { Passport } from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { Registry } from "prom-client";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { session as sessionkitExpress } from "../../src/adapters/express/index.js";
import { session as sessionkitKoa } from "../../src/adapters/koa/index.js";
import type { Diagnostic } from "../../src/common/diagnostics.js";
import { registerMetrics } from "../../src/metrics/index.js";
import { cookieSession, expressSession, koaSession } from "../../src/migrate/index.js";
import type { LegacySource, MigrationStage } from "../../src/session/legacy-source.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";
import { sessionRoutes } from "../support/legacy-routes.js";

/**
 * Staged moves to sessionkit from the sessions the real packages issue (express-session + connect-redis,
 * cookie-session, koa-session): users logged in by the legacy app keep their login and every change
 * through each stage and each step forward or back; parallel first requests import once; tampered legacy
 * cookies are never imported; no key is left without a TTL.
 */
const LEGACY_SECRET = "legacy-secret-of-the-old-app-0123456789";
type Deployment = { baseUrl: string; close(): Promise<void> };
type Me = { user: string | null; cart: string[]; absoluteDeadline?: number };

let redis: Redis;
const { standalone } = inject("redis");
const diagnostics: Diagnostic[] = [];
const opened: { close(): Promise<void> }[] = [];

beforeAll(() => {
  redis = new Redis(standalone.port, "127.0.0.1");
});
afterAll(async () => {
  for (const item of opened.reverse()) await item.close().catch(() => {});
  redis?.disconnect();
});

async function deploy(app: express.Express, cleanup?: () => Promise<void>): Promise<Deployment> {
  const running = await listen(createServer(app));
  const deployment = {
    baseUrl: running.baseUrl,
    close: async () => {
      await running.close();
      await cleanup?.();
    },
  };
  opened.push(deployment);
  return deployment;
}

/** sessionkit at `stage`, migrating from `from`. */
async function sessionkitApp(
  namespace: string,
  from: LegacySource,
  stage: MigrationStage,
): Promise<Deployment> {
  const sessions = sessionkitExpress({
    redis: standalone.url,
    namespace,
    secret: TEST_SECRET,
    logger: false,
    onDiagnostic: (diagnostic) => diagnostics.push(diagnostic),
    migrate: { from, stage },
  });
  await sessions.ready();
  const app = express();
  app.use(sessions);
  return deploy(sessionRoutes(app), () => sessions.close());
}

/** A browser whose requests go to whichever deployment is live. */
class User {
  readonly browser: Browser;
  constructor(deployment: Deployment) {
    this.browser = new Browser(deployment.baseUrl);
  }
  on(deployment: Deployment): this {
    (this.browser as { baseUrl: string }).baseUrl = deployment.baseUrl;
    return this;
  }
  async me(): Promise<Me> {
    const response = await this.browser.get("/me");
    expect(response.status).toBe(200);
    return response.json<Me>();
  }
  async post(path: string): Promise<void> {
    const response = await this.browser.request("POST", path);
    expect(response.status, await response.text).toBe(200);
  }
}

/** Every key of a pattern has a TTL (rule 1). */
async function expectTtlOnEvery(pattern: string): Promise<number> {
  const keys = await redis.keys(pattern);
  for (const key of keys) expect(await redis.pttl(key), key).toBeGreaterThan(0);
  return keys.length;
}

describe("from express-session + connect-redis", () => {
  const namespace = testNamespace("migrate-es");
  const prefix = `sess-${namespace}:`;
  let legacy: Deployment;
  let stages: Record<MigrationStage, Deployment>;
  const sources: ReturnType<typeof expressSession>[] = [];

  beforeAll(async () => {
    const nodeRedis = createClient({ url: standalone.url });
    await nodeRedis.connect();
    const legacyApp = express();
    legacyApp.use(
      expressSessionMiddleware({
        store: new ConnectRedisStore({ client: nodeRedis, prefix }),
        secret: LEGACY_SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: 3_600_000 },
      }),
    );
    legacy = await deploy(sessionRoutes(legacyApp), async () => {
      nodeRedis.destroy();
    });
    const source = () => {
      const created = expressSession({ secret: LEGACY_SECRET, redis: standalone.url, prefix });
      sources.push(created);
      opened.push(created);
      return created;
    };
    stages = {
      "legacy-primary": await sessionkitApp(namespace, source(), "legacy-primary"),
      "sessionkit-primary": await sessionkitApp(namespace, source(), "sessionkit-primary"),
      "sessionkit-only": await sessionkitApp(namespace, source(), "sessionkit-only"),
    };
  });

  it("keeps the login and every change through each stage, forward and back", async () => {
    const ann = new User(legacy);
    await ann.post("/login?user=ann");
    await ann.post("/cart?item=apple");
    const steps: [Deployment, string | null][] = [
      [stages["legacy-primary"], "pear"],
      [legacy, null],
      [stages["legacy-primary"], null],
      [stages["sessionkit-primary"], "fig"],
      [stages["legacy-primary"], null],
      [stages["sessionkit-primary"], null],
      [stages["sessionkit-only"], "kiwi"],
      [stages["sessionkit-primary"], null],
      [stages["legacy-primary"], null],
      [legacy, "plum"],
      [stages["legacy-primary"], null],
      [stages["sessionkit-primary"], null],
      [stages["sessionkit-only"], null],
    ];
    const cart = ["apple"];
    for (const [n, [deployment, item]] of steps.entries()) {
      ann.on(deployment);
      expect(await ann.me(), `step ${n}`).toMatchObject({ user: "ann", cart });
      if (item !== null) {
        await ann.post(`/cart?item=${item}`);
        cart.push(item);
        expect(await ann.me(), `step ${n} after the change`).toMatchObject({ user: "ann", cart });
      }
    }
    // Stage sessionkit-only ended the legacy session: its key is gone, its cookie cleared.
    expect(ann.browser.cookies.has("connect.sid")).toBe(false);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  });

  it("a login in a writing stage logs in on both sides; a logout logs out of both", async () => {
    const bob = new User(stages["sessionkit-primary"]);
    await bob.post("/cart?item=book");
    await bob.post("/login?user=bob");
    expect(await bob.me()).toMatchObject({ user: "bob", cart: ["book"] });
    expect(await bob.on(legacy).me()).toMatchObject({ user: "bob", cart: ["book"] });
    await bob.on(stages["legacy-primary"]).post("/logout");
    expect(await bob.on(legacy).me()).toMatchObject({ user: null });
    expect(await bob.on(stages["sessionkit-primary"]).me()).toMatchObject({ user: null });
  });

  it("two parallel first requests with the legacy cookie import one session; its deadline is the legacy cookie's", async () => {
    const carol = new User(legacy);
    await carol.post("/login?user=carol");
    const legacyExpiry = Date.now() + 3_600_000;
    carol.on(stages["sessionkit-primary"]);
    const before = (await redis.keys(`sk:${namespace}:s:*`)).length;
    const [a, b] = await Promise.all([carol.browser.get("/me"), carol.browser.get("/me")]);
    expect(a.json<Me>().user).toBe("carol");
    expect(b.json<Me>().user).toBe("carol");
    expect((await redis.keys(`sk:${namespace}:s:*`)).length).toBe(before + 1);
    const sid = (response: typeof a) => response.setCookies.find((c) => c.startsWith("sid="))?.split(";")[0];
    expect(sid(a)).toBe(sid(b));
    const { absoluteDeadline } = (await carol.browser.get("/me?meta=1")).json<Me>();
    expect(absoluteDeadline).toBeLessThanOrEqual(legacyExpiry + 1000);
    expect(absoluteDeadline).toBeGreaterThan(legacyExpiry - 60_000);
  });

  it("a tampered legacy cookie is never imported, and is counted", async () => {
    const dave = new User(legacy);
    await dave.post("/login?user=dave");
    const value = dave.browser.cookies.get("connect.sid") as string;
    dave.browser.cookies.set("connect.sid", `${value.slice(0, -3)}AAA`);
    const invalidBefore = diagnostics.filter((d) => d.code === "SESSION_MIGRATION_LEGACY_INVALID").length;
    expect(await dave.on(stages["sessionkit-primary"]).me()).toMatchObject({ user: null });
    expect(await dave.on(stages["sessionkit-only"]).me()).toMatchObject({ user: null });
    expect(diagnostics.filter((d) => d.code === "SESSION_MIGRATION_LEGACY_INVALID").length).toBe(
      invalidBefore + 2,
    );
  });

  it("leaves no key without a TTL", async () => {
    expect(await expectTtlOnEvery(`sk:${namespace}:*`)).toBeGreaterThan(0);
    await expectTtlOnEvery(`${prefix}*`);
  });
});

describe("from cookie-session", () => {
  const namespace = testNamespace("migrate-cs");
  const keys = ["cookie-session-key-of-the-old-app-0123"];
  let legacy: Deployment;
  let primary: Deployment;
  let only: Deployment;

  beforeAll(async () => {
    const legacyApp = express();
    legacyApp.use(cookieSessionMiddleware({ name: "session", keys }));
    // cookie-session has no regenerate: its logins just set data.
    legacyApp.use((req, _res, next) => {
      const target = req.session as unknown as { regenerate?: unknown; destroy?: unknown };
      target.regenerate ??= (callback: (error?: unknown) => void) => callback();
      target.destroy ??= (callback: (error?: unknown) => void) => {
        (req as unknown as { session: unknown }).session = null;
        callback();
      };
      next();
    });
    legacy = await deploy(sessionRoutes(legacyApp));
    primary = await sessionkitApp(namespace, cookieSession({ keys }), "sessionkit-primary");
    only = await sessionkitApp(namespace, cookieSession({ keys }), "sessionkit-only");
  });

  it("imports the cookie's session, writes changes back while sessionkit-primary, clears it when sessionkit-only", async () => {
    const erin = new User(legacy);
    await erin.post("/login?user=erin");
    await erin.post("/cart?item=tea");
    expect(await erin.on(primary).me()).toMatchObject({ user: "erin", cart: ["tea"] });
    await erin.post("/cart?item=milk");
    expect(await erin.on(legacy).me()).toMatchObject({ user: "erin", cart: ["tea", "milk"] });
    expect(await erin.on(only).me()).toMatchObject({ user: "erin", cart: ["tea", "milk"] });
    expect(erin.browser.cookies.has("session")).toBe(false);
    expect(erin.browser.cookies.has("session.sig")).toBe(false);
    expect(await erin.me()).toMatchObject({ user: "erin", cart: ["tea", "milk"] });
  });

  it("a cookie whose signature does not verify is not imported", async () => {
    const forger = new User(primary);
    forger.browser.cookies.set(
      "session",
      Buffer.from(JSON.stringify({ passport: { user: "admin" } })).toString("base64"),
    );
    forger.browser.cookies.set("session.sig", "forged-signature");
    expect(await forger.me()).toMatchObject({ user: null });
    forger.browser.cookies.delete("session.sig");
    expect(await forger.me()).toMatchObject({ user: null });
  });
});

describe("from koa-session (cookie mode)", () => {
  const namespace = testNamespace("migrate-koa");
  const keys = ["koa-app-key-of-the-old-app-0123456789"];

  it("a koa-session user is the same user on sessionkit's Koa adapter, and the legacy cookie is cleared", async () => {
    const legacyApp = new Koa();
    legacyApp.keys = keys;
    legacyApp.use(koaSessionMiddleware({ maxAge: 3_600_000 }, legacyApp));
    legacyApp.use(async (ctx) => {
      if (ctx.method === "POST") (ctx.session as unknown as Record<string, unknown>).user = "frank";
      ctx.body = { user: (ctx.session as unknown as Record<string, unknown> | null)?.user ?? null };
    });
    const legacy = await listen(createServer(legacyApp.callback()));
    opened.push(legacy);
    const sessions = sessionkitKoa({
      redis: standalone.url,
      namespace,
      secret: TEST_SECRET,
      logger: false,
      migrate: { from: koaSession({ keys }), stage: "sessionkit-only" },
    });
    opened.push(sessions);
    const app = new Koa();
    app.use(sessions);
    app.use(async (ctx) => {
      ctx.body = { user: (ctx.session as unknown as Record<string, unknown>).user ?? null };
    });
    const migrated = await listen(createServer(app.callback()));
    opened.push(migrated);

    const browser = new Browser(legacy.baseUrl);
    await browser.request("POST", "/");
    expect(browser.cookies.has("koa.sess")).toBe(true);
    (browser as { baseUrl: string }).baseUrl = migrated.baseUrl;
    expect((await browser.get("/")).json()).toEqual({ user: "frank" });
    expect(browser.cookies.has("koa.sess")).toBe(false);
    expect((await browser.get("/")).json()).toEqual({ user: "frank" });
    expect(await expectTtlOnEvery(`sk:${namespace}:*`)).toBe(1);
  });
});

describe("Passport through the move (express-session + connect-redis)", () => {
  const namespace = testNamespace("migrate-passport");
  const prefix = `sess-${namespace}:`;

  /** Passport with a local strategy that knows one user, on whatever session middleware is given. */
  function passportApp(sessionMiddleware: express.RequestHandler): express.Express {
    const passport = new Passport();
    passport.use(
      new LocalStrategy((username, password, done) =>
        username === "grace" && password === "hopper-1906"
          ? done(null, { id: "u-grace" })
          : done(null, false),
      ),
    );
    passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
    passport.deserializeUser((id: string, done) => done(null, id === "u-grace" ? { id } : false));
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(sessionMiddleware);
    app.use(passport.session());
    app.post("/login", passport.authenticate("local"), (_req, res) => res.json({ ok: true }));
    app.post("/logout", (req, res, next) =>
      req.logout((error) => (error ? next(error) : res.json({ ok: true }))),
    );
    app.get("/me", (req, res) => res.json({ user: (req.user as { id?: string } | undefined)?.id ?? null }));
    return app;
  }

  it("a Passport login made on the old app is req.user at every stage; a Passport logout ends it on both sides", async () => {
    const nodeRedis = createClient({ url: standalone.url });
    await nodeRedis.connect();
    const legacy = await deploy(
      passportApp(
        expressSessionMiddleware({
          store: new ConnectRedisStore({ client: nodeRedis, prefix }),
          secret: LEGACY_SECRET,
          resave: false,
          saveUninitialized: false,
        }),
      ),
      async () => {
        nodeRedis.destroy();
      },
    );
    const stage = async (name: MigrationStage) => {
      const from = expressSession({ secret: LEGACY_SECRET, redis: standalone.url, prefix });
      opened.push(from);
      const sessions = sessionkitExpress({
        redis: standalone.url,
        namespace,
        secret: TEST_SECRET,
        logger: false,
        migrate: { from, stage: name },
      });
      return deploy(passportApp(sessions), () => sessions.close());
    };
    const primary = await stage("sessionkit-primary");
    const only = await stage("sessionkit-only");

    const browser = new Browser(legacy.baseUrl);
    const login = await browser.request("POST", "/login", {
      form: { username: "grace", password: "hopper-1906" },
    });
    expect(login.status).toBe(200);
    const on = (deployment: Deployment) => {
      (browser as { baseUrl: string }).baseUrl = deployment.baseUrl;
      return browser;
    };
    expect((await on(primary).get("/me")).json()).toEqual({ user: "u-grace" });
    expect((await on(legacy).get("/me")).json()).toEqual({ user: "u-grace" });
    expect((await on(only).get("/me")).json()).toEqual({ user: "u-grace" });
    expect((await on(primary).get("/me")).json()).toEqual({ user: "u-grace" });
    expect((await on(legacy).get("/me")).json()).toEqual({ user: "u-grace" });
    expect((await on(primary).request("POST", "/logout")).status).toBe(200);
    expect((await on(primary).get("/me")).json()).toEqual({ user: null });
    expect((await on(legacy).get("/me")).json()).toEqual({ user: null });
  });
});

describe("migration metrics", () => {
  it("count which side served each request, imports and rejected legacy cookies (Prometheus)", async () => {
    const keys = ["cookie-session-key-of-the-old-app-metrics"];
    const namespace = testNamespace("migrate-metrics");
    const sessions = sessionkitExpress({
      redis: standalone.url,
      namespace,
      secret: TEST_SECRET,
      logger: false,
      migrate: { from: cookieSession({ keys }), stage: "sessionkit-primary" },
    });
    const registry = new Registry();
    const metrics = registerMetrics(sessions.manager, { registry });
    const app = express();
    app.use(sessions);
    const deployment = await deploy(sessionRoutes(app), async () => {
      metrics.unregister();
      await sessions.close();
    });
    const value = async (name: string, labels: Record<string, string> = {}) => {
      const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
      const sample = (metric?.values ?? []).find((v) =>
        Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
      );
      return sample?.value ?? 0;
    };
    // A visitor with a legacy cookie-session cookie, as the old app would have signed it.
    const legacyValue = Buffer.from(JSON.stringify({ passport: { user: "hal" } })).toString("base64");
    const signature = createHmac("sha1", keys[0] as string)
      .update(`session=${legacyValue}`)
      .digest("base64")
      .replace(/[/+=]/g, (c) => (c === "/" ? "_" : c === "+" ? "-" : ""));
    const hal = new User(deployment);
    hal.browser.cookies.set("session", legacyValue);
    hal.browser.cookies.set("session.sig", signature);
    expect(await hal.me()).toMatchObject({ user: "hal" });
    expect(await hal.me()).toMatchObject({ user: "hal" });
    const forger = new User(deployment);
    forger.browser.cookies.set("session", legacyValue);
    forger.browser.cookies.set("session.sig", "forged");
    expect(await forger.me()).toMatchObject({ user: null });

    expect(await value("sessionkit_migration_imports_total")).toBe(1);
    expect(await value("sessionkit_migration_requests_total", { served_by: "both" })).toBe(1);
    expect(await value("sessionkit_migration_requests_total", { served_by: "sessionkit" })).toBe(1);
    expect(await value("sessionkit_migration_requests_total", { served_by: "none" })).toBe(1);
    expect(await value("sessionkit_migration_legacy_rejected_total")).toBe(1);
  });
});
