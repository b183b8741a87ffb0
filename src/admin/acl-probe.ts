import type { RedisConnection, RedisNodeHandle } from "../redis/connection/redis-connection.js";
import type { KeyLayout } from "../redis/key-layout.js";
import { withTimeout } from "../redis/with-timeout.js";

/**
 * One call per command sessionkit sends (README "Redis ACL"), each shaped so that it changes nothing
 * (XX, NOMKSTREAM, keys that do not exist) while Redis still checks the user's permission for it: a
 * refused command answers NOPERM, anything else (a reply, NOSCRIPT, NOGROUP, "requires the key to
 * exist") means it is allowed. Commands inside sessionkit's scripts are checked too, since Redis checks
 * each of them against the user as the script runs.
 */
interface Probe {
  command: string;
  /** What needs it: "sessions" (every app), or a feature. */
  need: "sessions" | "events" | "start-up check" | "replica reads, durability";
  /** The arguments, given the probe key (a string key of the namespace that does not exist). */
  args: (key: string) => string[];
  /** Keyless commands go to a primary; the others to the node of the probe key. */
  keyless?: boolean;
  /** Only sent to a Redis Cluster. */
  clusterOnly?: boolean;
}

const PROBES: Probe[] = [
  { command: "get", need: "sessions", args: (k) => ["GET", k] },
  { command: "set", need: "sessions", args: (k) => ["SET", k, "", "XX", "PX", "1000"] },
  { command: "del", need: "sessions", args: (k) => ["DEL", k] },
  { command: "type", need: "sessions", args: (k) => ["TYPE", k] },
  { command: "pttl", need: "sessions", args: (k) => ["PTTL", k] },
  { command: "pexpire", need: "sessions", args: (k) => ["PEXPIRE", k, "1000"] },
  { command: "zadd", need: "sessions", args: (k) => ["ZADD", k, "XX", "0", "m"] },
  { command: "zrem", need: "sessions", args: (k) => ["ZREM", k, "m"] },
  { command: "zrange", need: "sessions", args: (k) => ["ZRANGE", k, "0", "0"] },
  { command: "zscore", need: "sessions", args: (k) => ["ZSCORE", k, "m"] },
  { command: "evalsha", need: "sessions", args: (k) => ["EVALSHA", "0".repeat(40), "1", k] },
  { command: "eval", need: "sessions", args: (k) => ["EVAL", "return 1", "1", k] },
  { command: "scan", need: "sessions", args: (k) => ["SCAN", "0", "MATCH", k, "COUNT", "1"], keyless: true },
  { command: "ping", need: "start-up check", args: () => ["PING"], keyless: true },
  { command: "info", need: "start-up check", args: () => ["INFO", "server"], keyless: true },
  { command: "role", need: "start-up check", args: () => ["ROLE"], keyless: true },
  {
    command: "config|get",
    need: "start-up check",
    args: () => ["CONFIG", "GET", "maxmemory"],
    keyless: true,
  },
  { command: "xadd", need: "events", args: (k) => ["XADD", k, "NOMKSTREAM", "*", "f", "v"] },
  { command: "xread", need: "events", args: (k) => ["XREAD", "COUNT", "1", "STREAMS", k, "0"] },
  {
    command: "xreadgroup",
    need: "events",
    args: (k) => ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", k, ">"],
  },
  { command: "xack", need: "events", args: (k) => ["XACK", k, "g", "0-1"] },
  { command: "xautoclaim", need: "events", args: (k) => ["XAUTOCLAIM", k, "g", "c", "0", "0-0"] },
  { command: "xgroup", need: "events", args: (k) => ["XGROUP", "CREATE", k, "g", "$"] },
  { command: "xrevrange", need: "events", args: (k) => ["XREVRANGE", k, "+", "-", "COUNT", "1"] },
  { command: "zrangebyscore", need: "events", args: (k) => ["ZRANGEBYSCORE", k, "0", "1"] },
  {
    command: "cluster|info",
    need: "start-up check",
    args: () => ["CLUSTER", "INFO"],
    keyless: true,
    clusterOnly: true,
  },
  { command: "wait", need: "replica reads, durability", args: () => ["WAIT", "0", "1"], keyless: true },
];

export interface AclProbeResult {
  /** Commands the user may not run, by what needs them ("sessions": every app). */
  missing: Map<string, string[]>;
}

export async function probeAcl(
  connection: RedisConnection,
  primary: RedisNodeHandle,
  keys: KeyLayout,
  timeoutMs: number,
): Promise<AclProbeResult> {
  // A key of the namespace (the ACL's key pattern must allow it) that never exists.
  const key = keys.sessionKey("acl-probe-never-written");
  const missing = new Map<string, string[]>();
  await Promise.all(
    PROBES.filter((probe) => !probe.clusterOnly || connection.topology === "cluster").map(async (probe) => {
      const args = probe.args(key);
      const call = () => (probe.keyless ? primary.call(args) : connection.command(key, args));
      try {
        await withTimeout(`${probe.command} (ACL probe)`, timeoutMs, call, connection.lastError);
      } catch (error) {
        if (!/NOPERM|no permissions/i.test((error as Error).message)) return;
        missing.set(probe.need, [...(missing.get(probe.need) ?? []), probe.command]);
      }
    }),
  );
  return { missing };
}
