import type { RedisConnection } from "./connection/redis-connection.js";
import { withTimeout } from "./with-timeout.js";

/**
 * Every key matching `pattern`, in batches, from every primary (a cluster's keys are spread over its
 * primaries; replicas hold copies). SCAN may return a key more than once and never blocks the server the
 * way KEYS does; each SCAN call is bounded by the command timeout.
 */
export async function* scanKeys(
  connection: RedisConnection,
  pattern: string,
  options: { timeoutMs: number; batchSize?: number },
): AsyncGenerator<string[]> {
  const count = String(options.batchSize ?? 500);
  // primaries() waits for the first connection: bounded like a command, or a scan hangs on a Redis that
  // never becomes ready.
  const primaries = await withTimeout(
    "topology discovery",
    options.timeoutMs,
    () => connection.primaries(),
    connection.lastError,
  );
  for (const node of primaries) {
    let cursor = "0";
    do {
      const [next, keys] = (await withTimeout(
        "SCAN",
        options.timeoutMs,
        () => node.call(["SCAN", cursor, "MATCH", pattern, "COUNT", count]),
        connection.lastError,
      )) as [string, string[]];
      cursor = String(next);
      if (keys.length > 0) yield keys;
    } while (cursor !== "0");
  }
}
