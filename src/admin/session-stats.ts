import type { RedisConnection } from "../redis/connection/redis-connection.js";
import type { KeyLayout } from "../redis/key-layout.js";
import { defineLuaScript } from "../redis/lua-script.js";
import { withTimeout } from "../redis/with-timeout.js";
import { DURATION_BOUNDS_MS, type Histogram, SIZE_BOUNDS_BYTES, StreamingHistogram } from "./histogram.js";
import { callScriptOn } from "./node-script.js";
import { pacedScan, perKey, type ScanBatch, type ScanPacing } from "./paced-scan.js";

/**
 * One round trip per session for the three facts stats needs: remaining TTL, record size and last
 * activity ($a, read from the packed record in place: the record never crosses the network). A key that
 * is not a string answers size -1.
 */
const sessionFactsScript = defineLuaScript(`
local v = redis.pcall('GET', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if type(v) ~= 'string' then return {ttl, -1, ''} end
local a = string.match(v, '^%$a\\31([0-9]+)') or string.match(v, '\\30%$a\\31([0-9]+)')
return {ttl, #v, a or ''}
`);

export interface EventStreamStats {
  /** XLEN of the namespace's event stream (0 when events are off). */
  length: number;
  groups: { name: string; consumers: number; pending: number; lag: number | null }[];
}

export interface SessionStats {
  namespace: string;
  /** Live session records (keys of the namespace's session pattern, on every primary). */
  sessions: number;
  /** Principal indexes (users with at least one indexed session). */
  principals: number;
  /** Memory of the session records (MEMORY USAGE), extrapolated from a sample when `estimated`. */
  bytes: number;
  bytesPerSession: number;
  /** True when `bytes` comes from a sample of `memorySampled` sessions, not from every one. */
  estimated: boolean;
  memorySampled: number;
  histograms: { ttl: Histogram; idle: Histogram; size: Histogram };
  events: EventStreamStats;
  /** How long the scan took, ms. */
  elapsedMs: number;
}

export interface StatsOptions extends ScanPacing {
  /** Sessions per primary whose MEMORY USAGE is measured (the first ones SCAN returns). Default 1000. */
  memorySample?: number;
  now?: () => number;
}

export async function collectStats(
  connection: RedisConnection,
  keys: KeyLayout,
  namespace: string,
  timeoutMs: number,
  options: StatsOptions = {},
): Promise<SessionStats> {
  const startedAt = performance.now();
  const now = options.now ?? Date.now;
  const sampleSize = options.memorySample ?? 1000;
  const histograms = {
    ttl: new StreamingHistogram("ms", DURATION_BOUNDS_MS),
    idle: new StreamingHistogram("ms", DURATION_BOUNDS_MS),
    size: new StreamingHistogram("bytes", SIZE_BOUNDS_BYTES),
  };
  // Per node: sessions counted, and the sample's count and bytes (each node extrapolates its own sample).
  const perNode = new Map<string, { sessions: number; sampled: number; sampledBytes: number }>();
  const explain = connection.lastError;
  for await (const batch of pacedScan(connection, keys.sessionKeyPattern, timeoutMs, options)) {
    const node = perNode.get(batch.node.address) ?? { sessions: 0, sampled: 0, sampledBytes: 0 };
    perNode.set(batch.node.address, node);
    const facts = await withTimeout(
      `session stats (${batch.keys.length} keys)`,
      timeoutMs,
      () =>
        Promise.all(
          batch.keys.map((key) => callScriptOn(batch.node, sessionFactsScript, [key]).catch(movedAway)),
        ),
      explain,
    );
    const at = now();
    for (const reply of facts as ([number, number, string] | null)[]) {
      if (reply === null) continue;
      const [ttl, size, lastAccess] = reply;
      if (Number(ttl) === -2) continue; // gone between SCAN and now
      node.sessions++;
      histograms.ttl.add(Number(ttl));
      if (Number(size) >= 0) histograms.size.add(Number(size));
      if (lastAccess !== "") histograms.idle.add(Math.max(0, at - Number(lastAccess)));
    }
    const sampleNow = Math.max(0, Math.min(sampleSize - node.sampled, batch.keys.length));
    if (sampleNow > 0) {
      const sample: ScanBatch = { node: batch.node, keys: batch.keys.slice(0, sampleNow) };
      const usages = await perKey(sample, (key) => ["MEMORY", "USAGE", key], timeoutMs, explain);
      for (const usage of usages) {
        if (typeof usage !== "number" && typeof usage !== "string") continue; // error or null (gone)
        node.sampled++;
        node.sampledBytes += Number(usage);
      }
    }
  }
  let sessions = 0;
  let bytes = 0;
  let sampled = 0;
  for (const node of perNode.values()) {
    sessions += node.sessions;
    sampled += node.sampled;
    if (node.sampled > 0) bytes += (node.sampledBytes / node.sampled) * node.sessions;
  }
  const principals = await countKeys(connection, `${keys.namespacePrefix}p:*`, timeoutMs, options);
  return {
    namespace,
    sessions,
    principals,
    bytes: Math.round(bytes),
    bytesPerSession: sessions === 0 ? 0 : Math.round(bytes / sessions),
    estimated: sampled < sessions,
    memorySampled: sampled,
    histograms: {
      ttl: histograms.ttl.toJSON(),
      idle: histograms.idle.toJSON(),
      size: histograms.size.toJSON(),
    },
    events: await eventStreamStats(connection, keys, timeoutMs),
    elapsedMs: Math.round(performance.now() - startedAt),
  };
}

/**
 * A key that moved to another node while the scan ran (a resharding) answers MOVED or ASK: it is skipped
 * here (that node's scan counts it if it comes later: counts during a resharding are approximate). Any
 * other error (a permission, an outage) is the scan's failure.
 */
function movedAway(error: unknown): null {
  if (error instanceof Error && /^(MOVED|ASK)\b/.test(error.message)) return null;
  throw error;
}

/** Keys matching a pattern on every primary (SCAN only, no per-key command). */
export async function countKeys(
  connection: RedisConnection,
  pattern: string,
  timeoutMs: number,
  pacing: ScanPacing = {},
): Promise<number> {
  let count = 0;
  const { onProgress: _ignored, ...quiet } = pacing;
  for await (const batch of pacedScan(connection, pattern, timeoutMs, quiet)) count += batch.keys.length;
  return count;
}

export async function eventStreamStats(
  connection: RedisConnection,
  keys: KeyLayout,
  timeoutMs: number,
): Promise<EventStreamStats> {
  const ask = (args: string[]) =>
    withTimeout(
      args[0] as string,
      timeoutMs,
      () => connection.command(keys.eventsKey, args),
      connection.lastError,
    );
  const length = Number(await ask(["XLEN", keys.eventsKey]));
  if (length === 0) return { length, groups: [] };
  const reply = (await ask(["XINFO", "GROUPS", keys.eventsKey]).catch(() => [])) as unknown[];
  const groups = reply.map((group) => {
    const fields = new Map<string, unknown>();
    const flat = group as unknown[];
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    const lag = fields.get("lag");
    return {
      name: String(fields.get("name")),
      consumers: Number(fields.get("consumers") ?? 0),
      pending: Number(fields.get("pending") ?? 0),
      // Redis 7.0+ answers lag (entries not yet delivered to the group); null when it cannot tell.
      lag: lag === undefined || lag === null ? null : Number(lag),
    };
  });
  return { length, groups };
}
