import { randomBytes } from "node:crypto";
import { ErrorCodes, SessionStoreError } from "../common/errors.js";
import type { RedisConnection } from "./connection/redis-connection.js";
import type { KeyLayout } from "./key-layout.js";
import { removeSessionScript, writeSessionScript } from "./session-scripts.js";
import { type RedisReport, verifyRedis } from "./verify-redis.js";
import { withTimeout } from "./with-timeout.js";

/** How long ready() waits for a Redis that is still starting (a container booting beside the app). */
const READY_TIMEOUT_MS = 5000;
const READY_RETRY_MS = 100;
/** Causes that waiting does not cure: ready() reports them at once. */
const SETTLED_CAUSES = new Set<string>([
  ErrorCodes.STORE_AUTH,
  ErrorCodes.STORE_PERMISSION,
  ErrorCodes.STORE_TLS,
  ErrorCodes.STORE_READ_ONLY,
  ErrorCodes.STORE_OUT_OF_MEMORY,
]);

/**
 * Waits (up to READY_TIMEOUT_MS) until Redis serves sessions: the connection is up and authenticated,
 * the commands of the request path run (GET, and the write and delete scripts, on a probe key of the
 * namespace that lives 1 s), and the start-up checks pass. Rejects with the error a request would get,
 * its code naming the cause (SESSION_STORE_AUTH, _PERMISSION, _TLS, _UNREACHABLE...).
 */
export async function checkReady(
  connection: RedisConnection,
  keys: KeyLayout,
  commandTimeoutMs: number,
): Promise<RedisReport> {
  const deadline = Date.now() + Math.max(commandTimeoutMs, READY_TIMEOUT_MS);
  const probe = keys.sessionKey(`ready-probe-${randomBytes(8).toString("hex")}`);
  const ask = <T>(what: string, call: () => Promise<T>) =>
    withTimeout(`${what} (ready check)`, commandTimeoutMs, call, connection.lastError);
  for (;;) {
    try {
      await ask("GET", () => connection.get(probe));
      const created = ["", "create", "1000", "", "0", "", "1", "$c", "0"];
      await ask("session write", () => connection.runScript(writeSessionScript, [probe], created));
      await ask("session delete", () => connection.runScript(removeSessionScript, [probe], [""]));
      return await verifyRedis(connection, commandTimeoutMs);
    } catch (error) {
      // A Redis that is still starting may answer soon; a wrong password or a missing permission will not.
      const settled = error instanceof SessionStoreError && SETTLED_CAUSES.has(error.code);
      if (settled || !(error instanceof SessionStoreError) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, READY_RETRY_MS));
    }
  }
}
