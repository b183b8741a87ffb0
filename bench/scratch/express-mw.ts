// scratch: cost of one pass-through Express middleware, measured with perf instructions
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import express from "express";
import { Redis } from "ioredis";
import { startRedisServer } from "../../test/harness/redis-server.js";
import { runLoad } from "../lib/load.js";
import { CEILING_KEY, CEILING_VALUE } from "../lib/payload.js";
import { startPerfCounter } from "../lib/perf-counter.js";

const mode = process.argv[2];
if (mode === "child") {
  const [, , , port, mw] = process.argv;
  const client = new Redis({ port: Number(port), enableAutoPipelining: true });
  const app = express();
  if (mw === "1") app.use((_req, _res, next) => next());
  if (mw === "3") {
    const { commitBeforeResponse } = await import("./cbr-head.js");
    app.use((_req, res, next) => {
      commitBeforeResponse(res, () => Promise.resolve(undefined));
      next();
    });
  }
  if (mw === "4") {
    const { commitBeforeResponse } = await import(
      "../../node_modules/.cache/sessionkit-bench/adapters/node/commit-before-response.js"
    );
    const N = Symbol("n");
    app.use((req, res, next) => {
      (req as unknown as Record<symbol, number>)[N] = 1;
      delete (req as unknown as Record<symbol, number>)[N];
      commitBeforeResponse(res, () => Promise.resolve(undefined));
      next();
    });
  }
  if (mw === "2") {
    const { commitBeforeResponse } = await import(
      "../../node_modules/.cache/sessionkit-bench/adapters/node/commit-before-response.js"
    );
    app.use((_req, res, next) => {
      commitBeforeResponse(res, () => Promise.resolve(undefined));
      next();
    });
  }
  app.get("/read", (_req, res, next) => {
    client.get(CEILING_KEY).then((v) => res.json({ bytes: v?.length ?? 0 }), next);
  });
  const server = createServer(app).listen(0, "127.0.0.1", () => {
    const a = server.address();
    process.send?.({ port: typeof a === "object" && a ? a.port : 0 });
  });
} else {
  const redis = await startRedisServer({ name: "scratch" });
  const admin = new Redis(redis.port);
  await admin.set(CEILING_KEY, CEILING_VALUE);
  for (const mw of (process.env.MW ?? "0,1,2,0,1,2").split(",")) {
    const child = spawn(
      "taskset",
      [
        "-c",
        "1",
        process.execPath,
        "--import",
        "tsx",
        "bench/scratch/express-mw.ts",
        "child",
        String(redis.port),
        mw,
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
      `middleware=${mw}: ${Math.round(res.rps)} rps, ${Math.round(c.instructions / res.requests / 1000)}k instr/req, ${Math.round(c.cycles / res.requests / 1000)}k cycles/req`,
    );
    child.kill("SIGTERM");
  }
  admin.disconnect();
  await redis.stop();
}
