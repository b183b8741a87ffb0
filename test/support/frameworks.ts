import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "interop");

/** One line of a driver's output: a request's result or its error. */
export interface DriverResult {
  sid?: string;
  inspect?: string;
  repr?: string;
  error?: string;
  [field: string]: unknown;
}

/**
 * Runs a framework driver (test/fixtures/interop) once for a whole batch of requests: one Ruby, Python or
 * PHP start per batch keeps the tests fast. Debian's interpreters, where the Debian packages are
 * (scripts/ensure-frameworks.mjs installs them). Each line the driver prints is one request's result.
 * `started` is called with the child once it runs.
 */
export function runDriver<T = DriverResult>(
  command: string,
  script: string,
  input: object,
  started?: (child: ChildProcess) => void,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [path.join(fixtures, script)], { stdio: ["pipe", "pipe", "pipe"] });
    started?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${stderr}${stdout}`));
      try {
        resolve(
          stdout
            .trim()
            .split("\n")
            .filter(Boolean)
            .map((line) => JSON.parse(line) as T),
        );
      } catch {
        reject(new Error(`${script} printed something else: ${stdout.slice(0, 2000)}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

export interface RailsBatch {
  store: "cache" | "redis-store";
  redis: string;
  namespace?: string;
  cookie: string;
  expire_after?: number;
  requests: { sid?: string; code: string }[];
}

export function runRails(batch: RailsBatch): Promise<DriverResult[]> {
  return runDriver("/usr/bin/ruby", "rails-driver.rb", batch);
}

export interface DjangoBatch {
  redis: string;
  keyPrefix?: string;
  version?: number;
  compressor?: "zlib" | "gzip";
  protocol?: number;
  requests: { sid?: string; code: string }[];
}

export function runDjango(batch: DjangoBatch): Promise<DriverResult[]> {
  return runDriver("/usr/bin/python3", "django-driver.py", batch);
}
