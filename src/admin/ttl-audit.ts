import type { RedisConnection } from "../redis/connection/redis-connection.js";
import { PatternGroups } from "./key-pattern.js";
import { pacedScan, perKey, type ScanBatch, type ScanPacing } from "./paced-scan.js";

export interface TtlAuditOptions extends ScanPacing {
  /** SCAN MATCH glob. Default "*": the whole Redis, not only sessionkit's keys. */
  match?: string;
  /**
   * Set this TTL (ms) on every key found without one. The command is `PEXPIRE key ms NX` (Redis 7.0+):
   * it applies only while the key still has no TTL, so a key that got one meanwhile is never touched.
   * Absent: a dry run that only counts.
   */
  fixTtlMs?: number;
  /** Distinct key patterns kept; the rest are counted as "(other patterns)". Default 1000. */
  maxGroups?: number;
}

export interface TtlAuditReport {
  /** Keys SCAN returned (a key may count twice while a table is being resized). */
  scanned: number;
  withoutTtl: number;
  /** Key patterns (IDs and hashes folded into *), with the count and MEMORY USAGE of their keys. */
  groups: { pattern: string; keys: number; bytes: number }[];
  /** Keys given a TTL (0 in a dry run). */
  fixed: number;
  dryRun: boolean;
  elapsedMs: number;
}

/**
 * Every key without a TTL, on every primary, grouped by pattern. Memory stays bounded: one batch of keys
 * at a time and at most `maxGroups` groups. A run that is stopped (Ctrl-C, AbortSignal) and started again
 * goes on where it matters: keys it already fixed have a TTL and are no longer found.
 */
export async function auditTtls(
  connection: RedisConnection,
  timeoutMs: number,
  options: TtlAuditOptions = {},
): Promise<TtlAuditReport> {
  const startedAt = performance.now();
  const groups = new PatternGroups(options.maxGroups ?? 1000);
  const explain = connection.lastError;
  let scanned = 0;
  let withoutTtl = 0;
  let fixed = 0;
  for await (const batch of pacedScan(connection, options.match ?? "*", timeoutMs, options)) {
    scanned += batch.keys.length;
    const ttls = await perKey(batch, (key) => ["PTTL", key], timeoutMs, explain);
    const immortal: ScanBatch = { node: batch.node, keys: batch.keys.filter((_, i) => ttls[i] === -1) };
    if (immortal.keys.length === 0) continue;
    const usages = await perKey(immortal, (key) => ["MEMORY", "USAGE", key], timeoutMs, explain);
    immortal.keys.forEach((key, i) => {
      const usage = usages[i];
      groups.add(key, typeof usage === "number" ? usage : 0);
    });
    withoutTtl += immortal.keys.length;
    if (options.fixTtlMs !== undefined) {
      const ttl = String(options.fixTtlMs);
      const replies = await perKey(immortal, (key) => ["PEXPIRE", key, ttl, "NX"], timeoutMs, explain);
      const failure = replies.find((reply) => reply instanceof Error);
      if (failure) throw failure;
      fixed += replies.filter((reply) => reply === 1).length;
    }
  }
  return {
    scanned,
    withoutTtl,
    groups: groups.list(),
    fixed,
    dryRun: options.fixTtlMs === undefined,
    elapsedMs: Math.round(performance.now() - startedAt),
  };
}
