import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const driver = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "interop",
  "php-driver.php",
);

export interface PhpResult {
  sid?: string;
  result?: unknown;
  warnings: string[];
  error?: string;
}

export interface PhpBatch {
  savePath: string;
  handler: "php" | "php_serialize";
  locking: boolean;
  gcMaxlifetime?: number;
  /** Keep phpredis's own lock_retries / lock_wait_time (else the driver waits up to 4 s for a lock). */
  phpredisDefaults?: boolean;
  requests: { sid?: string; code: string; destroy?: boolean }[];
}

/**
 * Runs test/fixtures/interop/php-driver.php over a batch of requests: Debian's PHP with phpredis as the
 * session save handler (scripts/ensure-frameworks.mjs installs php-cli and php-redis). One PHP start per
 * batch keeps the tests fast. `started` is called with the child once it runs.
 */
export function runPhp(batch: PhpBatch, started?: (child: ChildProcess) => void): Promise<PhpResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/php", [driver], { stdio: ["pipe", "pipe", "pipe"] });
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
      if (code !== 0) return reject(new Error(`php-driver.php exited ${code}: ${stderr}${stdout}`));
      try {
        resolve(
          stdout
            .trim()
            .split("\n")
            .filter(Boolean)
            .map((line) => JSON.parse(line) as PhpResult),
        );
      } catch {
        reject(new Error(`php-driver.php printed something else: ${stdout.slice(0, 2000)}`));
      }
    });
    child.stdin.end(JSON.stringify(batch));
  });
}
