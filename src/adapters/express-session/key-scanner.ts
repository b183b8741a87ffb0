import type { Cluster, Redis } from "ioredis";
import { SessionConfigError } from "../../core/errors.js";
import type { RedisOption } from "../../redis/connect.js";
import { withTimeout } from "../../redis/with-timeout.js";

/**
 * Yields the keys matching a pattern, one SCAN batch at a time, from every primary: a cluster splits the
 * keyspace across them and a SCAN sent to one node sees only its slots. A key may come twice (SCAN's own
 * guarantee when Redis rehashes meanwhile); callers that count deduplicate.
 */
export type KeyScanner = (pattern: string, count: number) => AsyncGenerator<string[]>;

/** The node-redis calls a scan needs; structural, like the core's NodeRedisClient. */
interface NodeRedisScanner {
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string | number; keys: string[] }>;
}
interface NodeRedisCluster {
  masters: readonly unknown[];
  nodeClient(node: unknown): NodeRedisScanner | Promise<NodeRedisScanner>;
}

type ScanStep = (cursor: string) => Promise<{ next: string; keys: string[] }>;

export function createKeyScanner(client: Exclude<RedisOption, string>, timeoutMs: number): KeyScanner {
  const bounded =
    (step: ScanStep): ScanStep =>
    (cursor) =>
      withTimeout("SCAN", timeoutMs, () => step(cursor));
  if (isIoredis(client)) {
    return async function* (pattern, count) {
      for (const node of ioredisPrimaries(client)) {
        yield* scanNode(
          bounded(async (cursor) => {
            await ioredisReady(node);
            const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", count);
            return { next, keys };
          }),
        );
      }
    };
  }
  const cluster = client as Partial<NodeRedisCluster>;
  const isCluster = Array.isArray(cluster.masters) && typeof cluster.nodeClient === "function";
  if (!isCluster && typeof (client as Partial<NodeRedisScanner>).scan !== "function") {
    throw new SessionConfigError("the Redis client has no scan(): pass an ioredis or node-redis client");
  }
  return async function* (pattern, count) {
    // The primaries of the moment: a failover during a listing shows up as a failed SCAN, not a gap.
    const nodes = isCluster
      ? await Promise.all(
          (cluster as NodeRedisCluster).masters.map((master) => (cluster as NodeRedisCluster).nodeClient(master)),
        )
      : [client as unknown as NodeRedisScanner];
    for (const node of nodes) {
      yield* scanNode(
        bounded(async (cursor) => {
          const reply = await node.scan(cursor, { MATCH: pattern, COUNT: count });
          return { next: String(reply.cursor), keys: reply.keys };
        }),
      );
    }
  };
}

async function* scanNode(step: ScanStep): AsyncGenerator<string[]> {
  let cursor = "0";
  do {
    const { next, keys } = await step(cursor);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== "0");
}

function isIoredis(client: Exclude<RedisOption, string>): client is Redis | Cluster {
  return typeof (client as { hgetall?: unknown }).hgetall === "function";
}

function ioredisPrimaries(client: Redis | Cluster): Redis[] {
  return client.isCluster ? (client as Cluster).nodes("master") : [client as Redis];
}

/**
 * A client created with the offline queue off (sessionkit's own, for a URL) fails commands sent before
 * it is connected instead of queueing them; wait for it (the caller's timeout bounds the wait).
 */
function ioredisReady(node: Redis): Promise<void> | undefined {
  if (node.status === "ready" || node.options.enableOfflineQueue !== false) return undefined;
  return new Promise((resolve) => node.once("ready", () => resolve()));
}
