/**
 * `npm run convert-bench [-- --sessions N]`: `sessionkit migrate connect-redis` over N connect-redis
 * records (default 100,000). Starts its own redis-server, writes N records as connect-redis lays them out
 * (`sess:<32-character ID>`, express-session's JSON with its cookie object, Passport's passport.user and a
 * cart; EX from cookie.expires), then runs the CLI as a process and reports time and peak RSS of:
 * a dry run, a full conversion unpaced (--rate 0), again (idempotent), one with the heap capped, one at the
 * default pace (50,000 keys/s), and a run stopped by SIGINT halfway plus its --resume (together they must
 * convert each record exactly once).
 * Checks after each: the count of native records, a sample of them under the ID a request would derive,
 * and `sessionkit ttl-audit` finds no key without a TTL. Fails past MAX_RSS_MB (the CLI holds one batch).
 */
import { type ChildProcess, execFile, execFileSync } from "node:child_process";
import { legacyImportWrite } from "../src/session/legacy-import.js";
import { resolveSessionConfig } from "../src/session/session-options.js";
import { redisCommand, startRedisServer } from "../tools/redis-harness/redis-server.js";
import { bundleCli } from "./lib/cli-bundle.js";

/**
 * Peak RSS the CLI may reach: one batch of records and its writes in flight, the clients. V8 grows its heap
 * lazily (about 150 MB on 100,000 records unpaced), so one run also goes with the heap capped at
 * HEAP_CAP_MB: it must convert everything there too, which shows the memory does not grow with the keyspace.
 */
const MAX_RSS_MB = 200;
const HEAP_CAP_MB = 48;
const SECRET = "convert-bench-secret-0123456789-abcdefghijklmnop";
const argv = process.argv.slice(2);
const sessionCount = Number(argv[argv.indexOf("--sessions") + 1] ?? 0) || 100_000;

/** connect-redis records, written inside Redis in chunks: IDs are 32 characters like express-session's. */
const POPULATE = `
local from, to, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = from, to do
  local ttl = 3600 + (i % 13) * 86400
  local record = '{"cookie":{"originalMaxAge":' .. (ttl * 1000) .. ',"expires":"' .. ARGV[4 + (i % 13)]
    .. '","secure":false,"httpOnly":true,"path":"/"},"passport":{"user":"user-' .. (i % 50000)
    .. '"},"cart":[' .. i .. ',"' .. string.rep('x', 120) .. '"],"flash":{}}'
  redis.call('SET', 'sess:' .. string.format('%032d', i), record, 'EX', ttl)
end
return to - from + 1`;

interface Measured {
  seconds: number;
  peakRssMb: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI under /usr/bin/time (wall time, peak RSS); `started` gets the CLI's own process id. */
function measure(
  cli: string,
  args: string[],
  started?: (cliPid: number) => void,
  nodeFlags: string[] = [],
): Promise<Measured> {
  return new Promise((resolve) => {
    const child: ChildProcess = execFile(
      "/usr/bin/time",
      ["-f", "%e %M", process.execPath, ...nodeFlags, cli, ...args],
      { maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH ?? "", BENCH_SECRET: SECRET } },
      (error, stdout, stderr) => {
        const [seconds, rssKb] = (stderr.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({
          seconds: seconds ?? Number.NaN,
          peakRssMb: Math.round((rssKb ?? 0) / 1024),
          code,
          stdout,
          stderr,
        });
      },
    );
    if (started) {
      // GNU time ignores SIGINT while it waits: the signal goes to the CLI, its child.
      setTimeout(() => {
        const pid = Number(
          execFileSync("pgrep", ["-P", String(child.pid)])
            .toString()
            .trim(),
        );
        started(pid);
      }, 300);
    }
  });
}

interface Report {
  scanned: number;
  converted: number;
  alreadyConverted: number;
  skipped: Record<string, number>;
  elapsedMs: number;
  interrupted: boolean;
  resume: string | null;
}

async function convertBench(): Promise<void> {
  const server = await startRedisServer({
    name: "convert-bench",
    args: ["--save", "", "--appendonly", "no"],
  });
  const port = server.port;
  const count = async (pattern: string): Promise<number> => {
    let cursor = "0";
    let found = 0;
    do {
      const [next, keys] = (await redisCommand(port, "SCAN", cursor, "MATCH", pattern, "COUNT", "5000")) as [
        string,
        string[],
      ];
      cursor = next;
      found += keys.length;
    } while (cursor !== "0");
    return found;
  };
  try {
    const startedAt = performance.now();
    const now = Date.now();
    const expiries = Array.from({ length: 13 }, (_, k) =>
      new Date(now + (3600 + k * 86400) * 1000).toISOString(),
    );
    const chunk = 20_000;
    for (let from = 0; from < sessionCount; from += chunk) {
      const to = Math.min(sessionCount, from + chunk) - 1;
      await redisCommand(port, "EVAL", POPULATE, "0", String(from), String(to), String(now), ...expiries);
    }
    const used = String(await redisCommand(port, "INFO", "memory")).match(/used_memory_human:(\S+)/)?.[1];
    console.log(
      `populated ${sessionCount.toLocaleString("en")} connect-redis sessions in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (Redis ${used})`,
    );
    const cli = await bundleCli("sessionkit-convert-bench");
    const base = [
      "migrate",
      "connect-redis",
      "--redis",
      `redis://127.0.0.1:${port}`,
      "--secret-env",
      "BENCH_SECRET",
    ];
    const config = resolveSessionConfig({ secret: SECRET, logger: false });
    const rows: string[] = [];
    let failed = false;
    const row = (label: string, run: Measured, report: Report, note = "") => {
      rows.push(
        `| ${label} | ${run.seconds.toFixed(1)} s | ${Math.round(report.scanned / run.seconds).toLocaleString("en")} keys/s | ${run.peakRssMb} MB | ${report.converted.toLocaleString("en")} | ${report.alreadyConverted.toLocaleString("en")} | ${note} |`,
      );
      if (run.peakRssMb > MAX_RSS_MB) {
        console.error(`${label}: peak RSS ${run.peakRssMb} MB over ${MAX_RSS_MB} MB`);
        failed = true;
      }
    };
    const parse = (run: Measured): Report => {
      try {
        return JSON.parse(run.stdout) as Report;
      } catch {
        throw new Error(`CLI exit ${run.code}: ${run.stdout} ${run.stderr}`);
      }
    };
    /** Native records of a namespace: every one there, a sample under the derived ID, none without a TTL. */
    const check = async (namespace: string, label: string) => {
      const stored = await count(`sk:${namespace}:s:*`);
      if (stored !== sessionCount) {
        console.error(`${label}: ${stored} native records, expected ${sessionCount}`);
        failed = true;
      }
      for (const i of [0, Math.floor(sessionCount / 2), sessionCount - 1]) {
        const id = String(i).padStart(32, "0");
        const imported = legacyImportWrite(
          config,
          "express-session",
          { identity: id, data: { x: 1 } },
          Date.now(),
        );
        const key = `sk:${namespace}:s:{${imported?.keyId}}`;
        const ttl = Number(await redisCommand(port, "PTTL", key));
        const legacyTtl = Number(await redisCommand(port, "PTTL", `sess:${id}`));
        if (!(ttl > 0 && ttl <= legacyTtl + 1000)) {
          console.error(`${label}: record ${i} has TTL ${ttl} (legacy ${legacyTtl})`);
          failed = true;
        }
      }
      const audit = await measure(cli, [
        "ttl-audit",
        "--redis",
        `redis://127.0.0.1:${port}`,
        "--json",
        "--rate",
        "0",
      ]);
      const { withoutTtl, scanned } = JSON.parse(audit.stdout) as { withoutTtl: number; scanned: number };
      if (withoutTtl !== 0) failed = true;
      return `${stored.toLocaleString("en")} records; ttl-audit: ${withoutTtl} of ${scanned.toLocaleString("en")} keys without a TTL`;
    };

    const dry = await measure(cli, [...base, "--namespace", "dry", "--dry-run", "--json", "--rate", "0"]);
    row("--dry-run, unpaced", dry, parse(dry), `${await count("sk:dry:*")} keys written`);

    const unpaced = await measure(cli, [...base, "--namespace", "unpaced", "--json", "--rate", "0"]);
    row("convert, unpaced (--rate 0)", unpaced, parse(unpaced), await check("unpaced", "unpaced"));
    const again = await measure(cli, [...base, "--namespace", "unpaced", "--json", "--rate", "0"]);
    row("second run (idempotent)", again, parse(again));

    const capped = await measure(
      cli,
      [...base, "--namespace", "capped", "--json", "--rate", "0"],
      undefined,
      [`--max-old-space-size=${HEAP_CAP_MB}`],
    );
    row(
      `convert, unpaced, heap capped at ${HEAP_CAP_MB} MB`,
      capped,
      parse(capped),
      await check("capped", "capped"),
    );

    const paced = await measure(cli, [...base, "--namespace", "paced", "--json"]);
    row("convert, default pace (50,000 keys/s)", paced, parse(paced), await check("paced", "paced"));

    // Stopped halfway by SIGINT, then --resume.
    let stoppedAt = 0;
    const first = await measure(cli, [...base, "--namespace", "resumed", "--json"], (pid) => {
      const poll = setInterval(async () => {
        const done = Number(await redisCommand(port, "DBSIZE")) - 4 * sessionCount;
        if (done >= sessionCount / 2) {
          clearInterval(poll);
          stoppedAt = done;
          process.kill(pid, "SIGINT");
        }
      }, 100);
    });
    const part = parse(first);
    row(
      "killed (SIGINT) halfway",
      first,
      part,
      `exit ${first.code}, killed at ~${stoppedAt.toLocaleString("en")}, printed --resume ${part.resume}`,
    );
    const rest = await measure(cli, [
      ...base,
      "--namespace",
      "resumed",
      "--json",
      "--resume",
      String(part.resume),
    ]);
    const finished = parse(rest);
    const total = part.converted + finished.converted;
    if (first.code !== 130 || !part.interrupted || total !== sessionCount) failed = true;
    row(
      "--resume",
      rest,
      finished,
      `together ${total.toLocaleString("en")} converted; ${await check("resumed", "resumed")}`,
    );

    console.log(
      "\n| run | time | scan rate | peak RSS | converted | already converted | notes |\n| --- | --- | --- | --- | --- | --- | --- |",
    );
    console.log(rows.join("\n"));
    if (failed) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

await convertBench();
