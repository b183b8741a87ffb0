import type { RedisConnection } from "../redis/connection/redis-connection.js";
import type { KeyLayout } from "../redis/key-layout.js";
import { pacedScan, perKey, type ScanPacing } from "./paced-scan.js";

export interface PurgeReport {
  namespace: string;
  /** Keys deleted (sessions, principal indexes, schedule buckets, the event stream, express-session keys). */
  deleted: number;
  elapsedMs: number;
}

/**
 * Deletes every key of one namespace, on every primary, one batch at a time (one DEL per key: keys of a
 * batch may sit in different cluster slots). Other namespaces and other apps' keys are never matched:
 * the pattern is "<prefix>:<namespace>:*" and both parts are plain names (key-layout.ts checks them).
 */
export async function purgeNamespace(
  connection: RedisConnection,
  keys: KeyLayout,
  namespace: string,
  timeoutMs: number,
  pacing: ScanPacing = {},
): Promise<PurgeReport> {
  const startedAt = performance.now();
  let deleted = 0;
  for await (const batch of pacedScan(connection, `${keys.namespacePrefix}*`, timeoutMs, pacing)) {
    const replies = await perKey(batch, (key) => ["DEL", key], timeoutMs, connection.lastError);
    const failure = replies.find((reply) => reply instanceof Error);
    if (failure) throw failure;
    deleted += replies.reduce<number>((sum, reply) => sum + Number(reply), 0);
  }
  return { namespace, deleted, elapsedMs: Math.round(performance.now() - startedAt) };
}
