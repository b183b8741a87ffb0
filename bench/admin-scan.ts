/**
 * `npm run scan-bench [-- --keys N] [-- --doctor]`: the sessionkit CLI over a big keyspace. Starts its own
 * redis-server, writes N session records (default 1,000,000, with TTLs, as sessionkit lays them out) and
 * N/10 keys without a TTL of another app, then runs `sessionkit stats` and `sessionkit ttl-audit` as
 * processes (unpaced, and at the default 50,000 keys/s) and reports their time and peak RSS (the CLI
 * keeps one batch of keys and fixed-size counters, so its memory must not grow with the keyspace: the
 * run fails past MAX_RSS_MB). `--doctor` instead starts the test harness's four topologies and prints
 * what `sessionkit doctor` reports on each, with its run time.
 */
import { execFile } from "node:child_process";
import { redisCommand, startRedisServer } from "../tools/redis-harness/redis-server.js";
import { startTopologies } from "../tools/redis-harness/topologies.js";
import { bundleCli } from "./lib/cli-bundle.js";

/** Peak RSS the CLI may reach on any keyspace: one batch, counters, the histograms, the client. */
const MAX_RSS_MB = 150;
const argv = process.argv.slice(2);
const keyCount = Number(argv[argv.indexOf("--keys") + 1] ?? 0) || 1_000_000;

/** Writes `count` packed session records (TTL 1 h to 14 d) in chunks, inside Redis (no client round trips). */
const POPULATE = `
local from, to, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = from, to do
  local id = string.format('%022d', i)
  local a = now - (i % 86400) * 1000
  local record = '$c\\31' .. (a - 3600000) .. '\\30$a\\31' .. a .. '\\30$x\\31' .. (now + 1209600000)
    .. '\\30$p\\31user-' .. (i % 50000) .. '\\30user\\31"user-' .. (i % 50000) .. '"\\30cart\\31[' .. i .. ',"' .. string.rep('x', 120) .. '"]'
  redis.call('SET', ARGV[4] .. id .. '}', record, 'PX', 3600000 + (i % 13) * 86400000)
end
return to - from + 1`;
const IMMORTAL = `
for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do redis.call('SET', '_session_id:2::' .. string.format('%032x', i * 2654435761), 'v') end
return 1`;

interface Measured {
  seconds: number;
  peakRssMb: number;
  code: number;
  stdout: string;
}

/** Runs the CLI under /usr/bin/time for its wall time and peak RSS. */
function measure(cli: string, args: string[]): Promise<Measured> {
  return new Promise((resolve) => {
    execFile(
      "/usr/bin/time",
      ["-f", "%e %M", process.execPath, cli, ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const [seconds, rssKb] = (stderr.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ seconds: seconds ?? Number.NaN, peakRssMb: Math.round((rssKb ?? 0) / 1024), code, stdout });
      },
    );
  });
}

async function scanBench(): Promise<void> {
  const server = await startRedisServer({ name: "scan-bench", args: ["--save", "", "--appendonly", "no"] });
  try {
    const startedAt = performance.now();
    const chunk = 20_000;
    for (let from = 0; from < keyCount; from += chunk) {
      const to = Math.min(keyCount, from + chunk) - 1;
      await redisCommand(
        server.port,
        "EVAL",
        POPULATE,
        "0",
        String(from),
        String(to),
        String(Date.now()),
        "sk:bench:s:{",
      );
    }
    const immortal = Math.round(keyCount / 10);
    for (let from = 0; from < immortal; from += chunk) {
      await redisCommand(
        server.port,
        "EVAL",
        IMMORTAL,
        "0",
        String(from),
        String(Math.min(immortal, from + chunk) - 1),
      );
    }
    const used = String(await redisCommand(server.port, "INFO", "memory")).match(
      /used_memory_human:(\S+)/,
    )?.[1];
    console.log(
      `populated ${keyCount.toLocaleString("en")} sessions + ${immortal.toLocaleString("en")} keys without TTL in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (Redis ${used})`,
    );
    const cli = await bundleCli("sessionkit-scan-bench");
    const url = ["--redis", `redis://127.0.0.1:${server.port}`, "--namespace", "bench", "--json"];
    const runs: [string, string[]][] = [
      ["stats, unpaced (--rate 0)", ["stats", ...url, "--rate", "0"]],
      ["ttl-audit, unpaced (--rate 0)", ["ttl-audit", ...url, "--rate", "0"]],
      ["stats, default pace (50,000 keys/s)", ["stats", ...url]],
      ["ttl-audit, default pace (50,000 keys/s)", ["ttl-audit", ...url]],
    ];
    const rows: string[] = [];
    let tooBig = false;
    for (const [label, args] of runs) {
      const run = await measure(cli, args);
      const result = JSON.parse(run.stdout) as { sessions?: number; scanned?: number; withoutTtl?: number };
      const keys = result.sessions ?? result.scanned ?? 0;
      const detail =
        result.sessions === undefined
          ? `${result.withoutTtl} without TTL of ${result.scanned}`
          : `${result.sessions} sessions`;
      rows.push(
        `| ${label} | ${run.seconds.toFixed(1)} s | ${Math.round(keys / run.seconds).toLocaleString("en")} keys/s | ${run.peakRssMb} MB | ${detail} |`,
      );
      if (run.peakRssMb > MAX_RSS_MB) tooBig = true;
    }
    console.log("\n| command | time | rate | peak RSS | found |\n| --- | --- | --- | --- | --- |");
    console.log(rows.join("\n"));
    if (tooBig) {
      console.error(`\npeak RSS over ${MAX_RSS_MB} MB: the scan's memory is not bounded`);
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
  }
}

async function doctorBench(): Promise<void> {
  const running = await startTopologies();
  try {
    const { standalone, replicated, sentinel, cluster } = running.topologies;
    const cli = await bundleCli("sessionkit-scan-bench");
    const urls: [string, string][] = [
      ["standalone", standalone.url],
      [
        "primary + replica",
        `redis://127.0.0.1:${replicated.primary}?replica=127.0.0.1:${replicated.replica}`,
      ],
      ["Sentinel", `redis+sentinel://127.0.0.1:${sentinel.sentinelPort}/${sentinel.masterName}`],
      ["cluster 3+3", `redis+cluster://127.0.0.1:${cluster.primaries[0]}`],
    ];
    for (const [name, url] of urls) {
      const run = await measure(cli, ["doctor", "--redis", url, "--json"]);
      const { checks } = JSON.parse(run.stdout) as {
        checks: { name: string; status: string; message: string }[];
      };
      console.log(
        `\n### ${name}: exit ${run.code}, ${run.seconds.toFixed(2)} s, peak RSS ${run.peakRssMb} MB`,
      );
      for (const check of checks) console.log(`- ${check.name}: ${check.status}: ${check.message}`);
    }
  } finally {
    await running.stop();
  }
}

await (argv.includes("--doctor") ? doctorBench() : scanBench());
