import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { findFreePort, redisCommand } from "../../tools/redis-harness/redis-server.js";
import { type Browser, OLD_TEST_SECRET, TEST_SECRET } from "../support/browser.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";

const { standalone, cluster } = inject("redis");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI as one file, built once per run (esbuild, the bundler tsx runs on; packages stay external):
 * a spawn then costs about 0.3 s instead of 0.9 s through tsx, which keeps this file's ~30 runs cheap.
 */
let entry: Promise<string[]> | undefined;
const BUNDLE = path.join(root, "node_modules/.cache/sessionkit-cli-test", `main-${process.pid}.mjs`);
afterAll(() => rmSync(BUNDLE, { force: true }));
function cliEntry(): Promise<string[]> {
  entry ??= (async () => {
    const outfile = BUNDLE;
    try {
      const { build } = await import("esbuild");
      await build({
        entryPoints: [path.join(root, "src/cli/main.ts")],
        bundle: true,
        platform: "node",
        format: "esm",
        packages: "external",
        outfile,
        logLevel: "silent",
      });
      return [outfile];
    } catch {
      return ["--import", "tsx", path.join(root, "src/cli/main.ts")];
    }
  })();
  return entry;
}

/** `sessionkit ...` as a user runs it: a process of its own, stdout and stderr apart, the exit status. */
async function sessionkit(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const command = await cliEntry();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...command, ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** stdout as the one JSON document it must be; on failure the run's stderr says why. */
function json<T>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${JSON.stringify(run.stdout)}; stderr: ${run.stderr}`);
  }
}

describe("sessionkit CLI on standalone Redis", () => {
  let demo: DemoFixture;
  let url: string;
  let users: Browser[];
  const shared = () => ["--redis", url, "--namespace", demo.namespace];

  beforeAll(async () => {
    demo = await startDemoFixture(standalone.port, "cli", { events: { sweepInterval: false } });
    url = `redis://127.0.0.1:${standalone.port}`;
    users = [];
    for (const user of ["ann", "ann", "bob"]) {
      const browser = demo.browser();
      await browser.request("POST", "/login", { json: { user } });
      users.push(browser);
    }
  });
  afterAll(() => demo?.close());

  it("doctor --json: one JSON document of checks, exit 0; and a table for humans", async () => {
    const [machine, human] = await Promise.all([
      sessionkit(["doctor", "--json", ...shared()]),
      sessionkit(["doctor", ...shared()]),
    ]);
    expect(machine.code).toBe(0);
    const { checks } = json<{ checks: { name: string; status: string; message: string }[] }>(machine);
    expect(checks.map((c) => c.name)).toContain("acl");
    expect(checks.every((c) => ["ok", "warn"].includes(c.status))).toBe(true);
    expect(machine.stderr).toBe("");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/keys_without_ttl/);
  });

  it("stats --json counts the namespace; an unknown namespace exits 1", async () => {
    const [known, unknown] = await Promise.all([
      sessionkit(["stats", "--json", ...shared()]),
      sessionkit(["stats", "--json", "--redis", url, "--namespace", `${demo.namespace}-nothing`]),
    ]);
    expect(known.code).toBe(0);
    const stats = json<Record<string, unknown>>(known);
    expect(stats).toMatchObject({ namespace: demo.namespace, sessions: 3, principals: 2 });
    expect(Object.keys(stats)).toEqual(
      expect.arrayContaining(["bytes", "bytesPerSession", "histograms", "events"]),
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no keys under sk:.*is the namespace right/);
  });

  it("inspect by cookie (with the secret) and by handle; --redact; bad input exits 1 or 2 without a stack trace", async () => {
    const cookie = users[0]?.cookies.get("sid") as string;
    const id = cookie.slice(0, cookie.lastIndexOf("."));
    const env = { SESSIONKIT_SECRET: TEST_SECRET };
    // The secret on the command line, an old one first: every given secret verifies.
    const byCookie = await sessionkit([
      "inspect",
      "--secret",
      OLD_TEST_SECRET,
      "--secret",
      TEST_SECRET,
      cookie,
      "--json",
      ...shared(),
    ]);
    expect(byCookie.code).toBe(0);
    const session = json<{
      key: string;
      handle: string;
      ttlMs: number;
      meta: { principal: string };
      data: { user: string };
    }>(byCookie);
    expect(session).toMatchObject({ meta: { principal: "ann" }, data: { user: "ann" } });
    expect(session.ttlMs).toBeGreaterThan(0);
    expect(byCookie.stdout).not.toContain(id.slice(8));
    const codecDir = mkdtempSync(path.join(tmpdir(), "sk-codec-"));
    onTestFinished(() => rmSync(codecDir, { recursive: true, force: true }));
    const codecFile = path.join(codecDir, "codec.mjs");
    writeFileSync(
      codecFile,
      'export default { name: "custom", encode: JSON.stringify, decode: (s) => ({ decodedBy: "custom", raw: s }) };',
    );
    // Four at a time: a 2-core machine that other runs load must not time a run out.
    const [byHandle, redacted, forged, noSecret] = await Promise.all([
      sessionkit(["inspect", session.handle, "--json", ...shared()]),
      sessionkit(["inspect", session.key, "--redact", "--json", ...shared()]),
      sessionkit(["inspect", `${id}.${"A".repeat(43)}`, ...shared()], env),
      sessionkit(["inspect", cookie, ...shared()]),
    ]);
    const [garbage, missing, custom, noCodec] = await Promise.all([
      sessionkit(["inspect", "hello", ...shared()]),
      sessionkit(["inspect", "B".repeat(22), ...shared()]),
      sessionkit(["inspect", session.key, "--codec", codecFile, "--json", ...shared()]),
      sessionkit(["inspect", session.key, "--codec", "./no-such-codec.mjs", ...shared()]),
    ]);
    expect(json<{ data: unknown }>(custom as Run).data).toEqual({
      user: { decodedBy: "custom", raw: '"ann"' },
    });
    expect([noCodec?.code, noCodec?.stderr]).toEqual([2, expect.stringMatching(/--codec .*cannot load it/)]);
    expect(json<{ key: string }>(byHandle).key).toBe(session.key);
    expect(json<{ data: unknown }>(redacted).data).toEqual({ user: { type: "string", bytes: 5 } });
    expect([forged.code, forged.stderr]).toEqual([2, expect.stringMatching(/does not verify/)]);
    expect([noSecret.code, noSecret.stderr]).toEqual([2, expect.stringMatching(/--secret/)]);
    expect([garbage.code, garbage.stderr]).toEqual([2, expect.stringMatching(/not a session/)]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/no such session/)]);
    for (const run of [forged, noSecret, garbage, missing]) expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("sessions, revoke <cookie> (the browser is anonymous after), revoke --principal, events", async () => {
    const listed = await sessionkit(["sessions", "--principal", "ann", "--json", ...shared()]);
    expect(json<{ sessions: unknown[] }>(listed).sessions).toHaveLength(2);
    const cookie = users[2]?.cookies.get("sid") as string;
    const one = await sessionkit(["revoke", cookie, "--json", ...shared()], {
      SESSIONKIT_SECRET: TEST_SECRET,
    });
    expect([one.code, json(one)]).toEqual([0, { revoked: 1 }]);
    expect(
      (await users[2]?.get("/api/session"))?.json<{ data: { user?: string } }>().data.user,
    ).toBeUndefined();
    const all = await sessionkit(["revoke", "--principal", "ann", "--json", ...shared()]);
    expect(json(all)).toEqual({ revoked: 2 });
    const again = await sessionkit(["revoke", "--principal", "ann", "--json", ...shared()]);
    expect([again.code, json(again)]).toEqual([1, { revoked: 0 }]);
    const events = await sessionkit(["events", "--since", "10m", ...shared()]);
    const lines = events.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; reason?: string });
    expect(lines.filter((e) => e.type === "destroyed" && e.reason === "revoked")).toHaveLength(3);
  });

  it("ttl-audit finds planted keys without a TTL (exit 1), --fix sets one, a second run finds none (exit 0)", async () => {
    // Letters only: a number in the prefix would be folded into "*" like any ID.
    const prefix = `cliaudit${String(process.pid).replace(/\d/g, (d) => "abcdefghij"[Number(d)] as string)}`;
    const redis = demo.redis as Redis;
    for (let i = 0; i < 5; i++) await redis.set(`${prefix}:_session_id:2::${"f00dcafe".repeat(4)}${i}`, "v");
    await redis.set(`${prefix}:cache:77`, "v", "PX", 600_000);
    const match = ["--match", `${prefix}:*`];
    const audit = await sessionkit(["ttl-audit", "--json", ...match, ...shared()]);
    expect(audit.code).toBe(1);
    expect(json(audit)).toMatchObject({
      scanned: 6,
      withoutTtl: 5,
      groups: [{ pattern: `${prefix}:_session_id:2::*`, keys: 5, bytes: expect.any(Number) }],
      fixed: 0,
    });
    const fixed = await sessionkit([
      "ttl-audit",
      "--fix",
      "--ttl",
      "1h",
      "--yes",
      "--json",
      ...match,
      ...shared(),
    ]);
    expect([fixed.code, json<{ fixed: number }>(fixed).fixed]).toEqual([0, 5]);
    const after = await sessionkit(["ttl-audit", "--json", ...match, ...shared()]);
    expect([after.code, json<{ withoutTtl: number }>(after).withoutTtl]).toEqual([0, 0]);
    expect(await redis.pttl(`${prefix}:cache:77`)).toBeGreaterThan(500_000);
    expect(await redis.pttl(`${prefix}:_session_id:2::${"f00dcafe".repeat(4)}0`)).toBeGreaterThan(3_500_000);
  });

  it("usage errors exit 2: no URL, a malformed URL, an unknown command, purge without --yes, --fix without --ttl", async () => {
    const runs = await Promise.all([
      sessionkit(["stats"]),
      sessionkit(["stats", "--redis", "http://localhost"]),
      sessionkit(["frobnicate"]),
      sessionkit(["purge", ...shared()]),
      sessionkit(["ttl-audit", "--fix", ...shared()]),
      sessionkit(["ttl-audit", "--resume", "somewhere", ...shared()]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(runs[0]?.stderr).toMatch(/--redis <url> or set REDIS_URL/);
    expect(runs[3]?.stderr).toMatch(/--yes/);
    for (const run of runs) expect(run.stderr).not.toMatch(/\n\s+at /);
    const help = await sessionkit(["ttl-audit", "--help"]);
    expect([help.code, help.stdout]).toEqual([0, expect.stringMatching(/--match <glob>/)]);
  });

  it("purge --yes deletes the namespace's keys and says how many", async () => {
    const purged = await sessionkit(["purge", "--yes", "--json", ...shared()]);
    expect(purged.code).toBe(0);
    expect(json<{ deleted: number }>(purged).deleted).toBeGreaterThan(0);
    expect(await demo.keys()).toEqual([]);
  });
});

describe("sessionkit CLI: Redis that cannot be used", () => {
  const user = `cli-ops-${process.pid}`;
  beforeAll(async () => {
    await redisCommand(standalone.port, "ACL", "SETUSER", user, "on", ">right-password", "~*", "+@all");
  });
  afterAll(async () => {
    await redisCommand(standalone.port, "ACL", "DELUSER", user);
  });

  it("a wrong password: doctor fails its connection check (exit 1), stats says so in one line (exit 1)", async () => {
    const url = `redis://${user}:wrong-password@127.0.0.1:${standalone.port}`;
    const [doctor, stats] = await Promise.all([
      sessionkit(["doctor", "--json", "--redis", url, "--command-timeout", "1s"]),
      sessionkit(["stats", "--redis", url, "--command-timeout", "1s"]),
    ]);
    expect(doctor.code).toBe(1);
    expect(json<{ checks: { name: string; status: string; message: string }[] }>(doctor).checks).toEqual([
      {
        name: "connection",
        status: "fail",
        message: expect.stringMatching(/credentials.*SESSION_STORE_AUTH/),
      },
    ]);
    expect(stats.code).toBe(1);
    expect(stats.stderr).toMatch(
      /^sessionkit: Redis at redis:\/\/cli-ops-\d+:\*+@127\.0\.0\.1:\d+: .*credentials/,
    );
    expect(stats.stderr).not.toContain("wrong-password");
    expect(stats.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("nothing listening: exit 1 with the cause", async () => {
    const port = await findFreePort();
    const run = await sessionkit([
      "stats",
      "--json",
      "--redis",
      `redis://127.0.0.1:${port}`,
      "--command-timeout",
      "1s",
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/nothing listens at the Redis address.*SESSION_STORE_UNREACHABLE/);
    expect(json<{ error: { code: string } }>(run).error.code).toBe("SESSION_STORE_UNREACHABLE");
  });
});

describe("sessionkit CLI on the 3+3 cluster", () => {
  let demo: DemoFixture;
  beforeAll(async () => {
    const seed = cluster.primaries[0] as number;
    const { Cluster } = await import("ioredis");
    demo = await startDemoFixture(
      seed,
      "cli-cluster",
      { redis: `redis+cluster://127.0.0.1:${seed}` },
      () => new Cluster([{ host: "127.0.0.1", port: seed }]),
    );
    for (let i = 0; i < 12; i++)
      await demo.browser().request("POST", "/login", { json: { user: `u${i % 4}` } });
  });
  afterAll(() => demo?.close());

  it("doctor reports cluster_state ok and stats counts the sessions of every primary exactly", async () => {
    const url = `redis+cluster://127.0.0.1:${cluster.primaries[0]}`;
    const [doctor, stats] = await Promise.all([
      sessionkit(["doctor", "--json", "--redis", url, "--namespace", demo.namespace]),
      sessionkit(["stats", "--json", "--redis", url, "--namespace", demo.namespace]),
    ]);
    expect(doctor.code).toBe(0);
    const checks = json<{ checks: { name: string; status: string }[] }>(doctor).checks;
    expect(checks.find((c) => c.name === "cluster_state")?.status).toBe("ok");
    expect(json(stats)).toMatchObject({ sessions: 12, principals: 4 });
  });
});
