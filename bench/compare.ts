/**
 * A/B of a code change where `perf stat` is not available (many shared machines): the app's CPU time per
 * request (user + system, from /proc) for sessionkit built from the working tree and from a git ref,
 * both running against one redis-server, pinned to the same core and loaded at the same time (16
 * connections each), so the machine's drift (these VMs slow down by 30 % for seconds at a time) hits
 * both alike. Prints the median CPU us/request of each and their ratio per round.
 *
 *   tsx bench/compare.ts [--ref HEAD] [--variant fastify-sessionkit] [--route read] [--rounds 8]
 *                        [--duration 3] [--against fastify-ceiling] [--start-reversed yes]
 *
 * `--against <variant>[,<variant>...]` compares the working tree's variant with other variants (its
 * ceiling, say) instead of with a ref, all loaded at once, each ratio taken within the same rounds.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { redisCommand, startRedisServer } from "../tools/redis-harness/redis-server.js";
import { isVariant, ROUTE_REQUEST, ROUTES, type Route, type Variant } from "./apps/variants.js";
import { type AppProcess, startApp } from "./lib/app-process.js";
import { buildSessionkit } from "./lib/build.js";
import { processCpuSec } from "./lib/cpu.js";
import { runLoad } from "./lib/load.js";
import { CEILING_KEY, CEILING_VALUE } from "./lib/payload.js";
import { cookiePool } from "./lib/session-pool.js";

const BUILD_ENV = "SESSIONKIT_BENCH_BUILD";
const CONNECTIONS = 32;
const POOL_SIZE = 1000;

interface Options {
  ref: string;
  against: Variant[];
  variant: Variant;
  route: Route;
  rounds: number;
  durationSec: number;
  /** Start the apps in reverse order (the write route favours the app started second: bench/README.md). */
  startReversed: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    ref: "HEAD",
    against: [],
    variant: "fastify-sessionkit",
    route: "read",
    rounds: 8,
    durationSec: 3,
    startReversed: false,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === "--ref") options.ref = value;
    else if (name === "--variant" && isVariant(value)) options.variant = value;
    else if (name === "--against" && value.split(",").every(isVariant))
      options.against = value.split(",") as Variant[];
    else if (name === "--route" && (ROUTES as readonly string[]).includes(value))
      options.route = value as Route;
    else if (name === "--rounds") options.rounds = Math.max(1, Number.parseInt(value, 10));
    else if (name === "--duration") options.durationSec = Math.max(0.5, Number(value));
    else if (name === "--start-reversed") options.startReversed = value === "yes";
    else throw new Error(`unknown option or value: ${name} ${value}`);
  }
  return options;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const working = buildSessionkit();
  // [label, variant, build directory]
  const rivals: [string, Variant, string][] =
    options.against.length === 0
      ? [[options.ref, options.variant, buildSessionkit(options.ref)]]
      : options.against.map((variant) => [variant, variant, working]);
  const contenders: [string, Variant, string][] = [["working", options.variant, working], ...rivals];
  const redis = await startRedisServer({ name: "bench-compare" });
  const core = os.availableParallelism() >= 2 ? os.availableParallelism() - 1 : undefined;
  if (core !== undefined) {
    // As in run.ts: the apps on the last core, the load generator and redis-server on the others.
    const others = `0-${core - 1}`;
    for (const pid of [redis.pid, process.pid])
      execFileSync("taskset", ["-a", "-p", "-c", others, String(pid)]);
  }
  await redisCommand(redis.port, "SET", CEILING_KEY, CEILING_VALUE);
  const apps = new Map<string, { app: AppProcess; cookies: string[] }>();
  try {
    for (const [label, variant, dir] of options.startReversed ? [...contenders].reverse() : contenders) {
      process.env[BUILD_ENV] = dir;
      const app = await startApp(variant, redis.url, core === undefined ? {} : { core });
      const cookies = await cookiePool(variant, app.port, POOL_SIZE);
      apps.set(label, { app, cookies });
    }
    const labels = [...apps.keys()];
    const cpuUs = new Map<string, number[]>(labels.map((label) => [label, []]));
    const request = ROUTE_REQUEST[options.route];
    const loadOf = (label: string, durationSec: number) => {
      const { app, cookies } = apps.get(label) as { app: AppProcess; cookies: string[] };
      return runLoad({ port: app.port, ...request, cookies, connections: CONNECTIONS / 2, durationSec });
    };
    await Promise.all(labels.map((label) => loadOf(label, 3)));
    for (let round = 0; round < options.rounds; round++) {
      // All apps loaded at once on their shared core: a slower second of the machine hits them alike.
      // Whichever load starts first gets more requests through: the order alternates.
      const order = round % 2 === 0 ? labels : [...labels].reverse();
      const before = labels.map((label) => processCpuSec((apps.get(label) as { app: AppProcess }).app.pid));
      const started = new Map(order.map((label) => [label, loadOf(label, options.durationSec)]));
      const results = await Promise.all(labels.map((label) => started.get(label)));
      const line = labels.map((label, i) => {
        const used = processCpuSec((apps.get(label) as { app: AppProcess }).app.pid) - (before[i] as number);
        const result = results[i] as { requests: number; rps: number };
        const us = (used * 1e6) / Math.max(1, result.requests);
        (cpuUs.get(label) as number[]).push(us);
        return `${label} ${us.toFixed(1)} us/request (${Math.round(result.rps)} req/s)`;
      });
      console.log(`round ${round + 1}: ${line.join(", ")}`);
    }
    const [a, ...others] = labels as [string, ...string[]];
    const usOf = (label: string) => cpuUs.get(label) as number[];
    for (const b of others) {
      const ratios = usOf(a).map((us, i) => us / (usOf(b)[i] as number));
      console.log(
        `${options.variant} ${options.route}: ${a} ${median(usOf(a)).toFixed(1)} us, ` +
          `${b} ${median(usOf(b)).toFixed(1)} us; ${a}/${b} median ${median(ratios).toFixed(3)} ` +
          `(${Math.min(...ratios).toFixed(3)} - ${Math.max(...ratios).toFixed(3)})`,
      );
    }
  } finally {
    for (const { app } of apps.values()) await app.stop();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
