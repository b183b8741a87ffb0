/**
 * `npm run bench [-- options]`: sessionkit against express-session/@fastify/session + connect-redis and a
 * one-GET ceiling, on one redis-server started here. See bench/README.md for the method and options.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { type RedisServerHandle, redisInfo, startRedisServer } from "../tools/redis-harness/redis-server.js";
import {
  ceilingOf,
  isVariant,
  ROUTE_REQUEST,
  ROUTES,
  type Route,
  VARIANT_INFO,
  VARIANTS,
  type Variant,
} from "./apps/variants.js";
import { type AppProcess, startApp } from "./lib/app-process.js";
import { buildSessionkit } from "./lib/build.js";
import { processCpuSec, selfCpuSec } from "./lib/cpu.js";
import { type LoadResult, runLoad } from "./lib/load.js";
import { type MemoryCase, measureMemory, memoryWriters } from "./lib/memory.js";
import { CEILING_KEY, CEILING_VALUE } from "./lib/payload.js";
import { startPerfCounter } from "./lib/perf-counter.js";
import { summarizeProfiles } from "./lib/profile-summary.js";
import {
  type CommandCounts,
  CommandMonitor,
  commandStats,
  diffCounts,
  perRequest,
  round,
  total,
} from "./lib/redis-stats.js";
import { type BenchReport, type CellResult, renderMarkdown, renderSvg } from "./lib/report.js";
import { cookiePool } from "./lib/session-pool.js";
import { median, spread } from "./lib/stats.js";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

interface Options {
  quick: boolean;
  rounds: number;
  durationSec: number;
  warmupSec: number;
  firstWarmupSec: number;
  connections: number;
  poolSize: number;
  countRequests: number;
  variants: Variant[];
  routes: Route[];
  memorySessions: number;
  memoryBigSessions: number;
  load: boolean;
  memory: boolean;
  cpuProf: boolean;
  perf: boolean;
  pin: boolean;
  outDir: string;
  /** Compile sessionkit from this git ref instead of the working tree. */
  ref: string | undefined;
}

const HELP = `npm run bench -- [options]
  --quick                 short run for a first look (< 2 min): 2 rounds of 1 s, 10k-session memory only
  --rounds N              interleaved rounds (full: 7)
  --duration S            seconds measured per variant, route and round (full: 4)
  --warmup S              seconds of warm-up before each measurement (full: 1; first one: 3)
  --connections N         concurrent HTTP connections (32)
  --variants a,b          subset of: ${VARIANTS.join(", ")} (ceilings are added)
  --routes a,b            subset of: ${ROUTES.join(", ")}
  --memory-sessions N     sessions per memory case (10000)
  --memory-big N          sessions loaded for real for the large memory cases (full: 1000000; 0 = skip)
  --no-load | --no-memory skip the HTTP or the memory part
  --cpu-prof              V8 CPU profile of every app (bench/results/profiles/), summarised at the end
  --perf                  count the app's user-space instructions per request (Linux perf), a steady A/B figure
  --no-pin                do not pin the app to its own core (default: pinned with taskset when there are 2+ cores)
  --out DIR               where results go (bench/results)
  --ref REF               measure sessionkit as of a git ref (e.g. HEAD) instead of the working tree;
                          use with --out, for a before/after comparison
  --render FILE           write the markdown and SVG of a results JSON again (no measuring)`;

function parseOptions(argv: string[]): Options {
  const quick = argv.includes("--quick");
  const options: Options = {
    quick,
    rounds: quick ? 2 : 7,
    durationSec: quick ? 1 : 4,
    warmupSec: quick ? 0.25 : 1,
    firstWarmupSec: quick ? 0.5 : 3,
    connections: 32,
    poolSize: quick ? 200 : 1000,
    countRequests: quick ? 100 : 1000,
    // The diagnostic variants (g) (h) (i) only in the full run: --quick must stay under two minutes.
    variants: VARIANTS.filter((v) => !quick || VARIANT_INFO[v].layer !== "diagnostic"),
    routes: [...ROUTES],
    memorySessions: 10_000,
    memoryBigSessions: quick ? 0 : 1_000_000,
    load: true,
    memory: true,
    cpuProf: false,
    perf: false,
    pin: os.availableParallelism() >= 2,
    outDir: path.join(BENCH_DIR, "results"),
    ref: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const number = () => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0) throw new Error(`${arg} needs a number >= 0`);
      return n;
    };
    switch (arg) {
      case "--quick":
        break;
      case "--rounds":
        options.rounds = Math.max(1, Math.floor(number()));
        break;
      case "--duration":
        options.durationSec = number();
        break;
      case "--warmup":
        options.warmupSec = number();
        options.firstWarmupSec = Math.max(options.firstWarmupSec, options.warmupSec);
        break;
      case "--connections":
        options.connections = Math.max(1, Math.floor(number()));
        break;
      case "--variants": {
        const names = value().split(",");
        for (const name of names) if (!isVariant(name)) throw new Error(`unknown variant ${name}`);
        const chosen = new Set(names as Variant[]);
        for (const name of names as Variant[]) {
          chosen.add(ceilingOf(VARIANT_INFO[name].framework));
          const base = VARIANT_INFO[name].base;
          if (base !== undefined) chosen.add(base);
        }
        options.variants = VARIANTS.filter((v) => chosen.has(v));
        break;
      }
      case "--routes": {
        const names = value().split(",");
        for (const name of names)
          if (!(ROUTES as readonly string[]).includes(name)) throw new Error(`unknown route ${name}`);
        options.routes = ROUTES.filter((r) => names.includes(r));
        break;
      }
      case "--memory-sessions":
        options.memorySessions = Math.max(1, Math.floor(number()));
        break;
      case "--memory-big":
        options.memoryBigSessions = Math.floor(number());
        break;
      case "--no-load":
        options.load = false;
        break;
      case "--no-memory":
        options.memory = false;
        break;
      case "--cpu-prof":
        options.cpuProf = true;
        break;
      case "--perf":
        options.perf = true;
        break;
      case "--no-pin":
        options.pin = false;
        break;
      case "--out":
        options.outDir = path.resolve(value());
        break;
      case "--ref":
        options.ref = value();
        break;
      case "--help":
      case "-h":
        console.log(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}\n${HELP}`);
    }
  }
  return options;
}

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Pins a running process (this one, redis-server) to a set of cores; a no-op where taskset is missing. */
function pin(pid: number, cores: string): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cores, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface Rig {
  redis: RedisServerHandle;
  admin: Redis;
  apps: Map<Variant, AppProcess>;
  cookies: Map<Variant, string[]>;
}

async function startApps(options: Options, redis: RedisServerHandle, appCore: number | undefined) {
  const apps = new Map<Variant, AppProcess>();
  const cookies = new Map<Variant, string[]>();
  const profileDir = options.cpuProf ? path.join(options.outDir, "profiles") : undefined;
  for (const variant of options.variants) {
    const app = await startApp(variant, redis.url, { core: appCore, cpuProfileDir: profileDir });
    apps.set(variant, app);
    const pool = await cookiePool(variant, app.port, options.poolSize);
    cookies.set(variant, pool);
    log(`started ${variant} (pid ${app.pid}, port ${app.port}), ${pool.length} sessions`);
  }
  return { apps, cookies };
}

interface CountResult {
  requests: number;
  /** Commands sent by the app (round trips); a script invocation counts 1. */
  client: CommandCounts;
  /** Commands run inside scripts. */
  lua: CommandCounts;
  /** INFO commandstats delta: everything Redis executed, scripts' inner commands included. */
  raw: CommandCounts;
  non2xx: number;
}

type CountRoute = Route | "login";

/** Exact command counts: a fixed number of requests per route under MONITOR and commandstats. */
async function countCommands(
  rig: Rig,
  options: Options,
): Promise<Map<Variant, Map<CountRoute, CountResult>>> {
  const results = new Map<Variant, Map<CountRoute, CountResult>>();
  const routes: CountRoute[] = ["login", ...options.routes];
  for (const variant of options.variants) {
    const app = rig.apps.get(variant) as AppProcess;
    const perRoute = new Map<CountRoute, CountResult>();
    for (const route of routes) {
      const request = route === "login" ? { method: "POST" as const, path: "/login" } : ROUTE_REQUEST[route];
      const cookies = route === "login" ? [""] : (rig.cookies.get(variant) as string[]);
      const before = await commandStats(rig.redis.port);
      const monitor = await CommandMonitor.start(rig.redis.port);
      const load = await runLoad({
        port: app.port,
        ...request,
        cookies: cookies.map((c) => c),
        connections: 8,
        amount: options.countRequests,
      });
      const seen = await monitor.stop();
      const raw = diffCounts(await commandStats(rig.redis.port), before);
      perRoute.set(route, { requests: load.requests, ...seen, raw, non2xx: load.non2xx });
    }
    results.set(variant, perRoute);
    const summary = routes
      .map((route) => {
        const r = perRoute.get(route) as CountResult;
        return `${route} ${round(total(r.client) / r.requests, 2)} (raw ${round(total(r.raw) / r.requests, 2)})`;
      })
      .join(", ");
    log(`commands per request ${variant}: ${summary}`);
  }
  return results;
}

interface RoundSample extends LoadResult {
  round: number;
  rawCommands: number;
  /** CPU microseconds per request: the app process, redis-server, and the load generator (this process). */
  appCpuUs: number;
  redisCpuUs: number;
  loadCpuUs: number;
  /** Share of one core the app used during the run (1 = saturated). */
  appCpuShare: number;
  /** With --perf: the app's user-space instructions and cycles per request (thousands). */
  appKInstructions: number;
  appKCycles: number;
}

async function redisCpuSec(port: number): Promise<number> {
  const info = await redisInfo(port, "cpu");
  return Number(info.used_cpu_user) + Number(info.used_cpu_sys);
}

/**
 * The order variants are measured in within a round: each sessionkit variant between its framework's
 * ceiling and its connect-redis counterpart.
 */
const MEASUREMENT_ORDER: readonly Variant[] = [
  "fastify-bare-read",
  "fastify-ceiling-plain",
  "fastify-ceiling",
  "fastify-sessionkit",
  "fastify-sessionkit-metrics",
  "fastify-sessionkit-traced",
  "fastify-connect-redis",
  "express-connect-redis",
  "express-sessionkit",
  "express-ceiling",
  "express-ceiling-dict",
];
if (VARIANTS.some((variant) => !MEASUREMENT_ORDER.includes(variant))) {
  throw new Error("every variant needs a place in MEASUREMENT_ORDER");
}

async function timedRounds(rig: Rig, options: Options): Promise<Map<string, RoundSample[]>> {
  const samples = new Map<string, RoundSample[]>();
  const warmed = new Set<string>();
  for (let r = 0; r < options.rounds; r++) {
    for (const route of options.routes) {
      // Interleaved, every variant once per round, in MEASUREMENT_ORDER and reversed every other round:
      // the ratios the targets compare (sessionkit to its ceiling, to connect-redis) are then always
      // measured back to back, seconds apart (on these VMs speed drifts by 30 % within a minute), and
      // neither one of a pair always goes first.
      const forward = MEASUREMENT_ORDER.filter((variant) => options.variants.includes(variant));
      const order = r % 2 === 0 ? forward : [...forward].reverse();
      for (const variant of order) {
        const app = rig.apps.get(variant) as AppProcess;
        const cookies = rig.cookies.get(variant) as string[];
        const key = `${variant} ${route}`;
        const request = ROUTE_REQUEST[route];
        const warmupSec = warmed.has(key) ? options.warmupSec : options.firstWarmupSec;
        warmed.add(key);
        if (warmupSec > 0) {
          await runLoad({
            port: app.port,
            ...request,
            cookies,
            connections: options.connections,
            durationSec: warmupSec,
          });
        }
        const before = await commandStats(rig.redis.port);
        const redisCpu = await redisCpuSec(rig.redis.port);
        const appCpu = processCpuSec(app.pid);
        const loadCpu = selfCpuSec();
        const perf = options.perf ? startPerfCounter(app.pid) : undefined;
        const result = await runLoad({
          port: app.port,
          ...request,
          cookies,
          connections: options.connections,
          durationSec: options.durationSec,
        });
        const counted = await perf?.stop();
        const appCpuSec = processCpuSec(app.pid) - appCpu;
        const loadCpuSec = selfCpuSec() - loadCpu;
        const redisCpuSecUsed = (await redisCpuSec(rig.redis.port)) - redisCpu;
        const raw = total(diffCounts(await commandStats(rig.redis.port), before));
        const perRequestUs = (sec: number) => (sec * 1e6) / Math.max(1, result.requests);
        if (result.non2xx > 0 || result.errors > 0) {
          log(`WARNING ${key}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        }
        const list = samples.get(key) ?? [];
        list.push({
          ...result,
          round: r + 1,
          rawCommands: raw / Math.max(1, result.requests),
          appCpuUs: perRequestUs(appCpuSec),
          redisCpuUs: perRequestUs(redisCpuSecUsed),
          loadCpuUs: perRequestUs(loadCpuSec),
          appCpuShare: appCpuSec / result.durationSec,
          appKInstructions: (counted?.instructions ?? Number.NaN) / 1000 / Math.max(1, result.requests),
          appKCycles: (counted?.cycles ?? Number.NaN) / 1000 / Math.max(1, result.requests),
        });
        samples.set(key, list);
      }
      const line = order
        .map((v) => {
          const last = samples.get(`${v} ${route}`)?.at(-1);
          const perfNote = options.perf
            ? `, ${Math.round(last?.appKInstructions ?? 0)}k instr, ${Math.round(last?.appKCycles ?? 0)}k cyc`
            : "";
          return `${v} ${Math.round(last?.rps ?? 0)} (${Math.round(last?.appCpuUs ?? 0)} us, ${Math.round((last?.appCpuShare ?? 0) * 100)}%${perfNote})`;
        })
        .join(", ");
      log(`round ${r + 1}/${options.rounds} ${route}: ${line}`);
    }
  }
  return samples;
}

function cellResults(
  options: Options,
  samples: Map<string, RoundSample[]>,
  counts: Map<Variant, Map<CountRoute, CountResult>> | undefined,
): CellResult[] {
  const cells: CellResult[] = [];
  for (const variant of options.variants) {
    const info = VARIANT_INFO[variant];
    for (const route of options.routes) {
      const list = samples.get(`${variant} ${route}`) ?? [];
      const ceilingList = samples.get(`${ceilingOf(info.framework)} ${route}`) ?? [];
      const rivalList =
        info.layer === "sessionkit" ? (samples.get(`${info.framework}-connect-redis ${route}`) ?? []) : [];
      // Ratios are taken round by round (the same minute of the same run), then the median.
      const ratioPerRound = list.map((s, i) => s.rps / (ceilingList[i]?.rps ?? Number.NaN));
      const rivalPerRound = list.map((s, i) => s.rps / (rivalList[i]?.rps ?? Number.NaN));
      const cpuRatioPerRound = list.map((s, i) => (ceilingList[i]?.appCpuUs ?? Number.NaN) / s.appCpuUs);
      const baseList = info.base === undefined ? [] : (samples.get(`${info.base} ${route}`) ?? []);
      const rps = spread(list.map((s) => s.rps));
      const ratio = spread(ratioPerRound);
      const count = counts?.get(variant)?.get(route);
      const sent = count ? total(count.client) / count.requests : Number.NaN;
      const raw = count ? total(count.raw) / count.requests : Number.NaN;
      cells.push({
        variant,
        framework: info.framework,
        layer: info.layer,
        label: info.label,
        route,
        rps: round(rps.median, 0),
        rpsMin: round(rps.min, 0),
        rpsMax: round(rps.max, 0),
        rpsSpreadPct: round(rps.spreadPct, 1),
        p50Ms: round(median(list.map((s) => s.p50Ms)), 2),
        p99Ms: round(median(list.map((s) => s.p99Ms)), 2),
        p99MsMax: round(Math.max(...list.map((s) => s.p99Ms)), 2),
        ratioToCeiling: round(ratio.median, 3),
        ratioToCeilingMin: round(ratio.min, 3),
        ratioToCeilingMax: round(ratio.max, 3),
        ratioToConnectRedis: rivalList.length > 0 ? round(median(rivalPerRound), 3) : null,
        ratioToBase:
          baseList.length > 0
            ? round(median(list.map((s, i) => s.rps / (baseList[i]?.rps ?? Number.NaN))), 3)
            : null,
        cpuRatioToBase:
          baseList.length > 0
            ? round(median(list.map((s, i) => (baseList[i]?.appCpuUs ?? Number.NaN) / s.appCpuUs)), 3)
            : null,
        redisCommandsPerRequest: round(sent, 3),
        redisCommandsPerRequestRaw: round(raw, 3),
        redisCommandsSent: count ? perRequest(count.client, count.requests) : {},
        redisCommandsInScripts: count ? perRequest(count.lua, count.requests) : {},
        timedRawCommandsPerRequest: round(median(list.map((s) => s.rawCommands)), 3),
        appCpuUsPerRequest: round(median(list.map((s) => s.appCpuUs)), 1),
        redisCpuUsPerRequest: round(median(list.map((s) => s.redisCpuUs)), 1),
        loadCpuUsPerRequest: round(median(list.map((s) => s.loadCpuUs)), 1),
        cpuRatioToCeiling: round(median(cpuRatioPerRound), 3),
        appCpuShare: round(median(list.map((s) => s.appCpuShare)), 2),
        appKInstructionsPerRequest: options.perf
          ? round(median(list.map((s) => s.appKInstructions)), 1)
          : null,
        rounds: list.map((s) => ({
          round: s.round,
          rps: round(s.rps, 0),
          p50Ms: s.p50Ms,
          p99Ms: s.p99Ms,
          requests: s.requests,
          appCpuUs: round(s.appCpuUs, 1),
          appCpuShare: round(s.appCpuShare, 2),
          non2xx: s.non2xx,
          errors: s.errors,
        })),
      });
    }
  }
  return cells;
}

/**
 * `--render <results.json>`: writes the markdown and the chart of a results file again, with the targets
 * evaluated again from its measurements (the JSON is rewritten with them).
 */
function renderOnly(file: string): void {
  const report = JSON.parse(readFileSync(file, "utf8")) as BenchReport;
  report.targets = evaluateTargets(report);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const base = file.replace(/\.json$/, "");
  const svg = path.join(path.dirname(file), report.mode === "quick" ? "quick-ratios.svg" : "ratios.svg");
  writeFileSync(`${base}.md`, renderMarkdown(report, path.basename(svg)));
  writeFileSync(svg, renderSvg(report));
  log(`rendered ${base}.md and ${svg}`);
}

async function main(): Promise<void> {
  const renderIndex = process.argv.indexOf("--render");
  if (renderIndex !== -1) return renderOnly(path.resolve(process.argv[renderIndex + 1] ?? ""));
  const options = parseOptions(process.argv.slice(2));
  const startedAt = Date.now();
  mkdirSync(options.outDir, { recursive: true });
  const cores = os.availableParallelism();
  const appCore = options.pin ? cores - 1 : undefined;
  const benchCores = options.pin ? (cores > 2 ? `0-${cores - 2}` : "0") : undefined;
  if (benchCores !== undefined && !pin(process.pid, benchCores)) options.pin = false;
  log(
    `mode ${options.quick ? "quick" : "full"}: ${options.rounds} rounds x ${options.durationSec} s, ` +
      `${options.connections} connections, ${options.variants.length} variants, routes ${options.routes.join(",")}` +
      (options.pin ? `; app on core ${appCore}, load + Redis on ${benchCores}` : "; no pinning"),
  );

  log(`building sessionkit from ${options.ref ?? "the working tree"} (tsc, as npm run build)`);
  buildSessionkit(options.ref);
  const redis = await startRedisServer({ name: "bench" });
  if (options.pin && benchCores !== undefined) pin(redis.pid, benchCores);
  const admin = new Redis(redis.port, "127.0.0.1");
  const stopAll: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const stop of stopAll.reverse()) await stop().catch(() => {});
    stopAll.length = 0;
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  stopAll.push(async () => {
    admin.disconnect();
    await redis.stop();
  });

  const report: BenchReport = {
    generatedAt: new Date(startedAt).toISOString(),
    command: `npm run bench${options.quick ? " -- --quick" : ""}`,
    sessionkitSource: options.ref ?? "working tree",
    mode: options.quick ? "quick" : "full",
    environment: {
      node: process.version,
      redis: String((await admin.info("server")).match(/redis_version:(\S+)/)?.[1]),
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      pinning: options.pin
        ? `app on core ${appCore}; load generator and redis-server on ${benchCores}`
        : "none",
    },
    settings: {
      rounds: options.rounds,
      durationSec: options.durationSec,
      warmupSec: options.warmupSec,
      firstWarmupSec: options.firstWarmupSec,
      connections: options.connections,
      sessionPool: options.poolSize,
      countRequests: options.countRequests,
    },
    variants: Object.fromEntries(options.variants.map((v) => [v, VARIANT_INFO[v]])),
    results: [],
    commands: {},
    memory: [],
    targets: [],
    wallTimeSec: 0,
  };

  try {
    if (options.load) {
      await admin.set(CEILING_KEY, CEILING_VALUE);
      const { apps, cookies } = await startApps(options, redis, appCore);
      stopAll.push(async () => {
        for (const app of apps.values()) await app.stop();
      });
      const rig: Rig = { redis, admin, apps, cookies };
      log(`apps started in ${round((Date.now() - startedAt) / 1000, 1)} s; counting commands per request`);
      const counts = await countCommands(rig, options);
      log(`timed rounds start at ${round((Date.now() - startedAt) / 1000, 1)} s`);
      for (const [variant, perRoute] of counts) {
        report.commands[variant] = Object.fromEntries(
          [...perRoute].map(([route, r]) => [
            route,
            {
              requests: r.requests,
              sentPerRequest: round(total(r.client) / r.requests, 3),
              rawPerRequest: round(total(r.raw) / r.requests, 3),
              sent: perRequest(r.client, r.requests),
              inScripts: perRequest(r.lua, r.requests),
              raw: perRequest(r.raw, r.requests),
            },
          ]),
        );
      }
      const samples = await timedRounds(rig, options);
      report.results = cellResults(options, samples, counts);
      for (const app of apps.values()) await app.stop();
      if (options.cpuProf) {
        const summary = summarizeProfiles(path.join(options.outDir, "profiles"));
        writeFileSync(path.join(options.outDir, "profiles", "summary.md"), summary);
        log(`CPU profiles summarised in ${path.join(options.outDir, "profiles", "summary.md")}`);
      }
    }
    if (options.memory) {
      log(`memory measurements start at ${round((Date.now() - startedAt) / 1000, 1)} s`);
      const cases: MemoryCase[] = [];
      for (const writer of memoryWriters(redis.url)) {
        cases.push(await measureMemory(admin, writer, options.memorySessions, log));
      }
      if (options.memoryBigSessions > 0) {
        for (const writer of memoryWriters(redis.url)) {
          if (writer.big) cases.push(await measureMemory(admin, writer, options.memoryBigSessions, log));
        }
      }
      report.memory = cases;
    }
  } finally {
    await cleanup();
  }

  report.targets = evaluateTargets(report);
  report.wallTimeSec = round((Date.now() - startedAt) / 1000, 1);
  const base = options.quick ? "quick" : "latest";
  const files = {
    json: path.join(options.outDir, `${base}.json`),
    md: path.join(options.outDir, `${base}.md`),
    svg: path.join(options.outDir, options.quick ? "quick-ratios.svg" : "ratios.svg"),
  };
  // Only the latest run is kept: earlier ones are in git history, and their figures in bench/README.md.
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.md, renderMarkdown(report, path.basename(files.svg)));
  if (report.results.length > 0) writeFileSync(files.svg, renderSvg(report));
  console.log(`\n${renderMarkdown(report, path.basename(files.svg))}`);
  log(`wrote ${Object.values(files).join(", ")} in ${report.wallTimeSec} s`);
}

function evaluateTargets(report: BenchReport): BenchReport["targets"] {
  const targets: BenchReport["targets"] = [];
  const cell = (variant: Variant, route: Route) =>
    report.results.find((c) => c.variant === variant && c.route === route);
  for (const framework of ["express", "fastify"] as const) {
    const ours = `${framework}-sessionkit` as Variant;
    const read = cell(ours, "read");
    if (read) {
      targets.push({
        target: `${framework} read >= 0.9 x ceiling`,
        value: read.ratioToCeiling,
        pass: read.ratioToCeiling >= 0.9,
      });
    }
    const write = cell(ours, "write");
    if (write?.ratioToConnectRedis != null) {
      targets.push({
        target: `${framework} write >= 1.3 x connect-redis`,
        value: write.ratioToConnectRedis,
        pass: write.ratioToConnectRedis >= 1.3,
      });
    }
    const commands = report.commands[ours];
    if (commands?.read) {
      const writes = Object.entries(commands.read.sent).filter(([name]) => name !== "get");
      targets.push({
        target: `${framework} read: 1 command, no write (before touchAfter)`,
        value: commands.read.sentPerRequest,
        pass: commands.read.sentPerRequest === 1 && writes.length === 0,
      });
    }
    if (commands?.write) {
      const sent = commands.write.sent;
      targets.push({
        target: `${framework} write: 1 read + 1 write`,
        value: commands.write.sentPerRequest,
        pass: sent.get === 1 && (sent.evalsha ?? 0) + (sent.eval ?? 0) === 1 && total(sent) === 2,
      });
    }
  }
  const ours = report.memory.filter((m) => m.id === "sessionkit");
  for (const m of ours) {
    const theirs = report.memory.find((c) => c.id === "connect-redis" && c.sessions === m.sessions);
    if (theirs) {
      targets.push({
        target: `memory per session <= connect-redis (${m.sessions} sessions, server defaults, used_memory)`,
        value: round(m.bytesPerSession / theirs.bytesPerSession, 4),
        pass: m.bytesPerSession <= theirs.bytesPerSession,
      });
      // Exact and per key: used_memory / N also carries the few KB a server allocates once.
      targets.push({
        target: `MEMORY USAGE per key <= connect-redis (${m.sessions} sessions, server defaults)`,
        value: round(m.memoryUsagePerKey / theirs.memoryUsagePerKey, 4),
        pass: m.memoryUsagePerKey <= theirs.memoryUsagePerKey,
      });
    }
  }
  return targets;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
