import type { ChildProcess } from "node:child_process";
import { runDriver } from "./frameworks.js";

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
 * Runs test/fixtures/interop/php-driver.php over a batch of requests (runDriver): Debian's PHP with
 * phpredis as the session save handler (scripts/ensure-frameworks.mjs installs php-cli and php-redis).
 */
export function runPhp(batch: PhpBatch, started?: (child: ChildProcess) => void): Promise<PhpResult[]> {
  return runDriver<PhpResult>("/usr/bin/php", "php-driver.php", batch, started);
}
