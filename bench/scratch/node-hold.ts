// scratch: plain node:http + one GET, with HEAD's commitBeforeResponse vs the working tree's
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { Redis } from "ioredis";
import { startRedisServer } from "../../test/harness/redis-server.js";
import { runLoad } from "../lib/load.js";
import { CEILING_KEY, CEILING_VALUE } from "../lib/payload.js";
import { startPerfCounter } from "../lib/perf-counter.js";

const mode = process.argv[2];
if (mode === "child") {
  const [, , , port, variant] = process.argv;
  const client = new Redis({ port: Number(port), enableAutoPipelining: true });
  const hold =
    variant === "head"
      ? (await import("./cbr-head.js")).commitBeforeResponse
      : variant === "new"
        ? (
            await import(
              "../../node_modules/.cache/sessionkit-bench/adapters/node/commit-before-response.js" as string
            )
          ).commitBeforeResponse
        : undefined;
  const server = createServer((_req, res) => {
    if (hold) hold(res, () => Promise.resolve(undefined));
    client.get(CEILING_KEY).then((v) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ bytes: v?.length ?? 0 }));
    });
  }).listen(0, "127.0.0.1", () => {
    const a = server.address();
    process.send?.({ port: typeof a === "object" && a ? a.port : 0 });
  });
} else {
  const redis = await startRedisServer({ name: "scratch" });
  const admin = new Redis(redis.port);
  await admin.set(CEILING_KEY, CEILING_VALUE);
  for (const v of ["none", "head", "new", "none", "head", "new"]) {
    const child = spawn(
      "taskset",
      [
        "-c",
        "1",
        process.execPath,
        "--import",
        "tsx",
        "bench/scratch/node-hold.ts",
        "child",
        String(redis.port),
        v,
      ],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    const port = await new Promise<number>((r) => child.on("message", (m: { port: number }) => r(m.port)));
    await runLoad({ port, method: "GET", path: "/read", cookies: ["a=b"], connections: 32, durationSec: 2 });
    const perf = startPerfCounter(child.pid ?? 0);
    const res = await runLoad({
      port,
      method: "GET",
      path: "/read",
      cookies: ["a=b"],
      connections: 32,
      durationSec: 3,
    });
    const c = await perf.stop();
    console.log(
      `${v}: ${Math.round(res.rps)} rps, ${Math.round(c.instructions / res.requests / 1000)}k instr/req, ${Math.round(c.cycles / res.requests / 1000)}k cycles/req`,
    );
    child.kill("SIGTERM");
  }
  admin.disconnect();
  await redis.stop();
}
