import { spawn } from "node:child_process";
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
 * Runs a framework driver (test/fixtures/interop) once for a whole batch of requests: one Ruby or
 * Python start per batch keeps the tests fast. Debian's interpreters, where the Debian packages are
 * (scripts/ensure-frameworks.mjs installs them).
 */
function runDriver(command: string, script: string, input: object): Promise<DriverResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [path.join(fixtures, script)], { stdio: ["pipe", "pipe", "pipe"] });
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
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${stderr}`));
      resolve(
        stdout
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as DriverResult),
      );
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
