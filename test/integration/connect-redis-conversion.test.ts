import { type ChildProcess, execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import express from "express";
import expressSessionMiddleware from "express-session";
import { Cluster, Redis } from "ioredis";
import { createClient, createCluster } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { session as sessionkitExpress } from "../../src/adapters/express/index.js";
import type { Diagnostic } from "../../src/common/diagnostics.js";
import { expressSession } from "../../src/migrate/index.js";
import { unpackRecord } from "../../src/redis/packed-record.js";
import type { MigrationStage } from "../../src/session/legacy-source.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";
import { sessionRoutes } from "../support/legacy-routes.js";

/**
 * `sessionkit migrate connect-redis`: sessions issued by the real express-session + connect-redis,
 * converted by the CLI process, then loaded by their old connect.sid cookie on a sessionkit-only app
 * without a new import; idempotent, --dry-run writes nothing, a run stopped by SIGINT goes on with
 * --resume to the right total, the record is the one a request's import writes, no key without a TTL.
 */
const LEGACY_SECRET = "legacy-secret-of-the-old-app-0123456789";
const { standalone, cluster } = inject("redis");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const opened: { close(): Promise<void> }[] = [];
const diagnostics: Diagnostic[] = [];
let redis: Redis;

interface Report {
  scanned: number;
  converted: number;
  alreadyConverted: number;
  skipped: { expired: number; unreadable: number; tooLarge: number; empty: number; moved: number };
  dryRun: boolean;
  elapsedMs: number;
  interrupted: boolean;
  resume: string | null;
}
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

beforeAll(() => {
  redis = new Redis(standalone.port, "127.0.0.1");
});
afterAll(async () => {
  for (const item of opened.reverse()) await item.close().catch(() => {});
  redis?.disconnect();
  rmSync(BUNDLE, { force: true });
});

/** The CLI as one file (as in cli.test.ts): a spawn costs ~0.3 s instead of ~0.9 s through tsx. */
const BUNDLE = path.join(root, "node_modules/.cache/sessionkit-convert-test", `main-${process.pid}.mjs`);
let entry: Promise<string[]> | undefined;
function cliEntry(): Promise<string[]> {
  entry ??= (async () => {
    try {
      const { build } = await import("esbuild");
      await build({
        entryPoints: [path.join(root, "src/cli/main.ts")],
        bundle: true,
        platform: "node",
        format: "esm",
        packages: "external",
        outfile: BUNDLE,
        logLevel: "silent",
      });
      return [BUNDLE];
    } catch {
      return ["--import", "tsx", path.join(root, "src/cli/main.ts")];
    }
  })();
  return entry;
}

/** `sessionkit migrate connect-redis ...` as a process; `started` gets the child (to send it SIGINT). */
async function convert(args: string[], started?: (child: ChildProcess) => void): Promise<Run> {
  const command = await cliEntry();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...command, "migrate", "connect-redis", "--json", ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", SESSIONKIT_SECRET: TEST_SECRET },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    started?.(child);
  });
}

function report(run: Run): Report {
  try {
    return JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${JSON.stringify(run.stdout)}; stderr: ${run.stderr}`);
  }
}

/** An express-session + connect-redis app (the legacy one) on node-redis, standalone or cluster. */
async function legacyApp(
  prefix: string,
  options: { cluster?: boolean; maxAge?: number; ttl?: number } = {},
): Promise<string> {
  const client = options.cluster
    ? createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.primaries[0]}` }] })
    : createClient({ url: standalone.url });
  await client.connect();
  const app = express();
  app.use(
    expressSessionMiddleware({
      store: new ConnectRedisStore({
        client: client as ReturnType<typeof createClient>,
        prefix,
        ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      }),
      secret: LEGACY_SECRET,
      resave: false,
      saveUninitialized: false,
      ...(options.maxAge === undefined ? {} : { cookie: { maxAge: options.maxAge } }),
    }),
  );
  return deploy(sessionRoutes(app), async () => {
    client.destroy();
  });
}

/** sessionkit with `migrate: { from: expressSession(...), stage }`. */
async function sessionkitApp(
  namespace: string,
  prefix: string,
  stage: MigrationStage,
  url = standalone.url,
): Promise<string> {
  const from = expressSession({ secret: LEGACY_SECRET, redis: url, prefix });
  const sessions = sessionkitExpress({
    redis: url,
    namespace,
    secret: TEST_SECRET,
    logger: false,
    onDiagnostic: (diagnostic) => diagnostics.push(diagnostic),
    migrate: { from, stage },
  });
  await sessions.ready();
  const app = express();
  app.use(sessions);
  return deploy(sessionRoutes(app), async () => {
    await sessions.close();
    await from.close();
  });
}

async function deploy(app: express.Express, cleanup: () => Promise<void>): Promise<string> {
  const running = await listen(createServer(app));
  opened.push({
    close: async () => {
      await running.close();
      await cleanup();
    },
  });
  return running.baseUrl;
}

/** A user of the legacy app: logs in (Passport's passport.user), maybe fills a cart. */
async function legacyUser(baseUrl: string, user: string, items: string[] = []): Promise<Browser> {
  const browser = new Browser(baseUrl);
  expect((await browser.request("POST", `/login?user=${user}`)).status).toBe(200);
  for (const item of items) await browser.request("POST", `/cart?item=${item}`);
  return browser;
}

/** The same browser, its requests now going to another deployment. */
function moveTo(browser: Browser, baseUrl: string): Browser {
  (browser as { baseUrl: string }).baseUrl = baseUrl;
  return browser;
}

const imports = () => diagnostics.filter((d) => d.code === "SESSION_MIGRATION_IMPORTED").length;

describe("sessionkit migrate connect-redis on standalone Redis", () => {
  const namespace = testNamespace("convert");
  const prefix = `sess-${namespace}:`;
  const shared = () => ["--redis", standalone.url, "--namespace", namespace, "--from-prefix", prefix];
  let ann: Browser;
  let gus: Browser;

  beforeAll(async () => {
    const legacy = await legacyApp(prefix, { maxAge: 3_600_000 });
    ann = await legacyUser(legacy, "ann", ["apple", "pear"]);
    await legacyUser(legacy, "bob");
    // A browser-session cookie: connect-redis keeps it for its ttl option (10 minutes here).
    gus = await legacyUser(await legacyApp(prefix, { ttl: 600 }), "gus", ["fig"]);
    // What else sits under a prefix: a record that is no JSON, one whose cookie expired, one that holds
    // nothing but its cookie, and attributes named "__proto__" (data) and "regenerate" (a session method).
    const cookie = (expires: number) => ({
      originalMaxAge: 60_000,
      expires: new Date(expires).toISOString(),
    });
    await redis.set(`${prefix}garbage`, "{not json", "PX", 600_000);
    await redis.set(
      `${prefix}old`,
      JSON.stringify({ cookie: cookie(Date.now() - 1000), passport: { user: "old" } }),
      "PX",
      600_000,
    );
    await redis.set(`${prefix}empty`, JSON.stringify({ cookie: cookie(Date.now() + 60_000) }), "PX", 60_000);
    await redis.set(
      `${prefix}odd`,
      `{"cookie":${JSON.stringify(cookie(Date.now() + 60_000))},"__proto__":{"polluted":true},"regenerate":1,"passport":{"user":"odd"}}`,
      "PX",
      60_000,
    );
  });

  it("--dry-run counts what it would do and writes nothing", async () => {
    const run = await convert([...shared(), "--dry-run"]);
    expect(run.code, run.stderr).toBe(0);
    expect(report(run)).toMatchObject({
      scanned: 7,
      converted: 4,
      alreadyConverted: 0,
      skipped: { expired: 1, unreadable: 1, tooLarge: 0, empty: 1, moved: 0 },
      dryRun: true,
      interrupted: false,
      resume: null,
    });
    expect(await redis.keys(`sk:${namespace}:*`)).toEqual([]);
  });

  it("converts every record with a TTL no longer than the legacy key's; a second run converts nothing", async () => {
    const run = await convert(shared());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    expect(report(run)).toMatchObject({
      scanned: 7,
      converted: 4,
      alreadyConverted: 0,
      skipped: { expired: 1, unreadable: 1, tooLarge: 0, empty: 1, moved: 0 },
      dryRun: false,
    });
    const converted = await redis.keys(`sk:${namespace}:s:*`);
    expect(converted).toHaveLength(4);
    const longest = Math.max(...(await Promise.all(converted.map((key) => redis.pttl(key)))));
    expect(longest).toBeGreaterThan(3_500_000);
    expect(longest).toBeLessThanOrEqual(3_600_000);
    // The browser-session cookie's record lives no longer than connect-redis's ttl did.
    const ttls = await Promise.all(converted.map((key) => redis.pttl(key)));
    expect(ttls.filter((ttl) => ttl > 0 && ttl <= 600_000)).toHaveLength(2); // gus (600 s), "odd" (60 s)
    const records = await Promise.all(
      converted.map(async (key) => unpackRecord((await redis.get(key)) ?? "")),
    );
    const odd = records.find((fields) => fields?.passport === '{"user":"odd"}');
    expect(odd && Object.keys(odd).sort()).toEqual(["$a", "$c", "$x", "__proto__", "passport"]);
    expect(Object.prototype).not.toHaveProperty("polluted");

    const again = await convert(shared());
    expect(report(again)).toMatchObject({ scanned: 7, converted: 0, alreadyConverted: 4 });
    expect(await redis.keys(`sk:${namespace}:s:*`)).toHaveLength(4);
  });

  it("the old connect.sid cookie loads the converted session on a sessionkit-only app, without a new import", async () => {
    const only = await sessionkitApp(namespace, prefix, "sessionkit-only");
    const importsBefore = imports();
    moveTo(ann, only);
    const first = await ann.get("/me");
    expect(first.json()).toEqual({ user: "ann", cart: ["apple", "pear"] });
    expect(first.setCookies.some((c) => c.startsWith("sid="))).toBe(true);
    expect(ann.cookies.has("connect.sid")).toBe(false); // ended by stage sessionkit-only
    expect((await ann.get("/me")).json()).toEqual({ user: "ann", cart: ["apple", "pear"] });
    expect((await moveTo(gus, only).get("/me")).json()).toEqual({ user: "gus", cart: ["fig"] });
    expect(imports()).toBe(importsBefore);
    expect(await redis.keys(`sk:${namespace}:s:*`)).toHaveLength(4);
  });

  it("the converted record is the one a request's import writes (same key, fields, deadline)", async () => {
    const legacy = await legacyApp(prefix, { maxAge: 3_600_000 });
    const carol = await legacyUser(legacy, "carol", ["tea"]);
    const byRequest = testNamespace("convert-req");
    const byConverter = testNamespace("convert-cli");
    const importsBefore = imports();
    expect(
      (await moveTo(carol, await sessionkitApp(byRequest, prefix, "sessionkit-primary")).get("/me")).json(),
    ).toEqual({
      user: "carol",
      cart: ["tea"],
    });
    expect(imports()).toBe(importsBefore + 1);
    const [requestKey] = await redis.keys(`sk:${byRequest}:s:*`);
    expect(requestKey).toBeDefined();
    const run = await convert([
      "--redis",
      standalone.url,
      "--namespace",
      byConverter,
      "--from-prefix",
      prefix,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const converterKey = (requestKey as string).replace(`sk:${byRequest}:`, `sk:${byConverter}:`);
    const [fromRequest, fromConverter] = await Promise.all(
      [requestKey as string, converterKey].map(async (key) => unpackRecord((await redis.get(key)) ?? "")),
    );
    expect(fromConverter).not.toBeNull();
    const { $c: _c1, $a: _a1, ...requestRest } = fromRequest ?? {};
    const { $c: _c2, $a: _a2, ...converterRest } = fromConverter ?? {};
    // $x is the legacy cookie's expiry in both: the same millisecond.
    expect(converterRest).toEqual(requestRest);
    expect(Object.keys(fromConverter ?? {})).toEqual(Object.keys(fromRequest ?? {}));
    const [requestTtl, converterTtl] = await Promise.all([
      redis.pttl(requestKey as string),
      redis.pttl(converterKey),
    ]);
    expect(Math.abs(requestTtl - converterTtl)).toBeLessThan(5000);
  });

  it("stopped by SIGINT halfway, --resume finishes; together they convert each record once", async () => {
    const bulkNamespace = testNamespace("convert-bulk");
    const bulkPrefix = `sess-${bulkNamespace}:`;
    const legacy = await legacyApp(bulkPrefix, { maxAge: 3_600_000 });
    const total = 240;
    for (let i = 0; i < total; i += 24) {
      await Promise.all(Array.from({ length: 24 }, (_, n) => legacyUser(legacy, `user${i + n}`)));
    }
    const args = ["--redis", standalone.url, "--namespace", bulkNamespace, "--from-prefix", bulkPrefix];
    let stopped = false;
    const first = await convert([...args, "--count", "10", "--rate", "120"], (child) => {
      const poll = setInterval(async () => {
        const done = (await redis.keys(`sk:${bulkNamespace}:s:*`)).length;
        if (done >= total / 3 && !stopped) {
          stopped = true;
          clearInterval(poll);
          child.kill("SIGINT");
        }
      }, 50);
      child.once("exit", () => clearInterval(poll));
    });
    expect(stopped).toBe(true);
    expect(first.code, first.stderr).toBe(130);
    const part = report(first);
    expect(part.interrupted).toBe(true);
    expect(part.resume).toMatch(/^127\.0\.0\.1:\d+@\d+$/);
    expect(part.converted).toBeGreaterThan(0);
    expect(part.converted).toBeLessThan(total);
    expect(first.stderr).toContain(`--resume ${part.resume}`);
    const rest = await convert([...args, "--resume", part.resume as string, "--rate", "0"]);
    expect(rest.code, rest.stderr).toBe(0);
    const finished = report(rest);
    expect(finished.interrupted).toBe(false);
    expect(part.converted + finished.converted).toBe(total);
    expect(await redis.keys(`sk:${bulkNamespace}:s:*`)).toHaveLength(total);
    for (const key of await redis.keys(`sk:${bulkNamespace}:*`))
      expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it("usage errors exit 2: the secret's variable unset, a bad duration, a bad --resume", async () => {
    const runs = await Promise.all([
      convert([...shared(), "--secret-env", "NO_SUCH_VARIABLE_SET"]),
      convert([...shared(), "--idle-timeout", "soon"]),
      convert([...shared(), "--resume", "nowhere"]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(runs[0]?.stderr).toMatch(/NO_SUCH_VARIABLE_SET is not set/);
    for (const run of runs) expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("leaves no key without a TTL", async () => {
    for (const pattern of [`sk:${namespace}*`, `sk:t-convert*`, `${prefix}*`]) {
      for (const key of await redis.keys(pattern)) expect(await redis.pttl(key), key).toBeGreaterThan(0);
    }
  });
});

describe("sessionkit migrate connect-redis on the 3+3 cluster", () => {
  it("converts the records of every primary; the users' connect.sid cookies load them", async () => {
    const namespace = testNamespace("convert-cluster");
    const prefix = `sess-${namespace}:`;
    const seed = cluster.primaries[0] as number;
    const url = `redis+cluster://127.0.0.1:${seed}`;
    const legacy = await legacyApp(prefix, { cluster: true, maxAge: 3_600_000 });
    const users = await Promise.all(
      Array.from({ length: 12 }, (_, i) => legacyUser(legacy, `u${i}`, [`item${i}`])),
    );
    const run = await convert(["--redis", url, "--namespace", namespace, "--from-prefix", prefix]);
    expect(run.code, run.stderr).toBe(0);
    expect(report(run)).toMatchObject({ scanned: 12, converted: 12, alreadyConverted: 0 });
    const only = await sessionkitApp(namespace, prefix, "sessionkit-only", url);
    const importsBefore = imports();
    for (const [i, user] of users.entries()) {
      expect((await moveTo(user, only).get("/me")).json()).toEqual({ user: `u${i}`, cart: [`item${i}`] });
    }
    expect(imports()).toBe(importsBefore);
    const client = new Cluster([{ host: "127.0.0.1", port: seed }]);
    try {
      await new Promise((resolve) => client.once("ready", resolve));
      const nodes = client.nodes("master");
      const keys = (await Promise.all(nodes.map((node) => node.keys(`sk:${namespace}:*`)))).flat();
      expect(keys).toHaveLength(12);
      for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });
});
