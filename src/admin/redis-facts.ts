import type { RedisConnection, RedisNodeHandle } from "../redis/connection/redis-connection.js";
import { withTimeout } from "../redis/with-timeout.js";

/** Field -> value of an INFO reply ("# Section" lines and blank lines skipped). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** One command on one node, bounded by the command timeout, its failure named by the connection's cause. */
export type NodeAsk = (node: RedisNodeHandle, args: string[]) => Promise<unknown>;

export function nodeAsk(connection: RedisConnection, timeoutMs: number): NodeAsk {
  return (node, args) =>
    withTimeout(args.slice(0, 2).join(" "), timeoutMs, () => node.call(args), connection.lastError);
}

export async function infoOf(
  ask: NodeAsk,
  node: RedisNodeHandle,
  section: string,
): Promise<Map<string, string>> {
  return parseInfo(String(await ask(node, ["INFO", section])));
}

/** A node's replicas as its primary reports them (INFO replication "slaveN:ip=..,port=..,state=..,lag=.."). */
export function replicasOf(replication: Map<string, string>): string[] {
  const replicas: string[] = [];
  for (const [field, value] of replication) {
    if (!/^slave\d+$/.test(field)) continue;
    const parts = new Map(value.split(",").map((pair) => pair.split("=") as [string, string]));
    replicas.push(
      `${parts.get("ip")}:${parts.get("port")} (${parts.get("state")}, lag ${parts.get("lag")} s)`,
    );
  }
  return replicas;
}

/** The p-th percentile (0-100) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Round-trip times of `count` PINGs to each primary, one after another (ms, sorted). */
export async function pingLatencies(
  ask: NodeAsk,
  primaries: readonly RedisNodeHandle[],
  count: number,
): Promise<number[]> {
  const times: number[] = [];
  for (const node of primaries) {
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await ask(node, ["PING"]);
      times.push(performance.now() - start);
    }
  }
  return times.sort((a, b) => a - b);
}

/** `1.5 GB`-style sizes for messages. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
