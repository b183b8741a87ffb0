/** Starts one benchmark app in its own Node process and stops it again (by its PID only). */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Variant } from "../apps/variants.js";

const SERVER_ENTRY = fileURLToPath(new URL("../apps/server.ts", import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

export interface AppProcessOptions {
  /** Pin the app to this CPU core (taskset), so it never shares a core with the load generator. */
  core?: number;
  /** Directory for a V8 CPU profile of the app (`--cpu-prof`), written when the app exits. */
  cpuProfileDir?: string;
}

export interface AppProcess {
  readonly variant: Variant;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Last resort when the bench itself dies: no app survives it. */
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startApp(
  variant: Variant,
  redisUrl: string,
  options: AppProcessOptions = {},
): Promise<AppProcess> {
  const nodeArgs = ["--import", "tsx"];
  if (options.cpuProfileDir !== undefined) {
    // One directory per app: every thread (tsx's loader runs in a worker) writes its own profile. Emptied
    // first: the summary takes each directory's largest profile, which could be an earlier run's.
    const dir = path.join(options.cpuProfileDir, variant);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
  }
  const argv = [...nodeArgs, SERVER_ENTRY, variant, redisUrl];
  const [command, args] =
    options.core === undefined
      ? [process.execPath, argv]
      : ["taskset", ["-c", String(options.core), process.execPath, ...argv]];
  const child = spawn(command, args, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    cwd: path.resolve(path.dirname(SERVER_ENTRY), "../.."),
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => running.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${variant} did not start within 30 s`)),
      START_TIMEOUT_MS,
    );
    child.on("message", (message: { type?: string; port?: number }) => {
      if (message?.type === "ready" && typeof message.port === "number") {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${variant} exited during start-up (${signal ?? `code ${code}`})`));
    });
  }).catch(async (error: unknown) => {
    child.kill("SIGKILL");
    await exited;
    throw error;
  });
  return {
    variant,
    port,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: "stop" });
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
