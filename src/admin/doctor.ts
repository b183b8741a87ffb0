import { SessionConfigError, SessionStoreError } from "../common/errors.js";
import type { RedisConnection, RedisNodeHandle } from "../redis/connection/redis-connection.js";
import type { KeyLayout } from "../redis/key-layout.js";
import { checkReady } from "../redis/ready-check.js";
import { checkClusterState, maxmemoryWarning } from "../redis/verify-redis.js";
import { withTimeout } from "../redis/with-timeout.js";
import { probeAcl } from "./acl-probe.js";
import { foldKeyPattern } from "./key-pattern.js";
import { perKey } from "./paced-scan.js";
import {
  formatBytes,
  infoOf,
  type NodeAsk,
  nodeAsk,
  percentile,
  pingLatencies,
  replicasOf,
} from "./redis-facts.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  message: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** PINGs per primary for the latency figures. Default 20. */
  pings?: number;
  /** Keys per primary sampled for a TTL. Default 1000. */
  ttlSample?: number;
}

/** A p99 PING above this on a LAN means every session read waits on something. */
const SLOW_PING_MS = 10;

/**
 * What an operator needs to know before trusting a Redis with sessions, as a list of checks: the same
 * rules as the start-up checks (redis/verify-redis.ts, redis/ready-check.ts) plus facts only an operator
 * acts on (persistence, evictions, latency, keys without a TTL). A check that cannot run is a "fail" that
 * says why (a refused connection, a missing permission), never a thrown error.
 */
export async function runDoctor(
  connection: RedisConnection,
  keys: KeyLayout,
  timeoutMs: number,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (name: string, status: CheckStatus, message: string) => checks.push({ name, status, message });
  let primaries: RedisNodeHandle[];
  try {
    primaries = await withTimeout("connect", timeoutMs, () => connection.primaries(), connection.lastError);
    // A first command proves the connection (authentication fails here, not at discovery, on some clients).
    await withTimeout(
      "PING",
      timeoutMs,
      () => (primaries[0] as RedisNodeHandle).call(["PING"]),
      connection.lastError,
    );
  } catch (error) {
    add("connection", "fail", messageOf(error));
    return { checks };
  }
  add(
    "connection",
    "ok",
    `${connection.topology}, ${primaries.length} primar${primaries.length === 1 ? "y" : "ies"}`,
  );
  const ask = nodeAsk(connection, timeoutMs);
  await each(add, "topology", () => topologyCheck(ask, primaries, connection));
  if (connection.topology === "cluster")
    await each(add, "cluster_state", () => clusterStateCheck(ask, primaries));
  await each(add, "version", () => versionCheck(ask, primaries));
  await each(add, "maxmemory", () => maxmemoryCheck(ask, primaries));
  await each(add, "persistence", () => persistenceCheck(ask, primaries));
  await each(add, "evicted_keys", () => evictionCheck(ask, primaries));
  await each(add, "acl", () => aclCheck(connection, primaries[0] as RedisNodeHandle, keys, timeoutMs));
  await each(add, "latency", () => latencyCheck(ask, primaries, options.pings ?? 20));
  await each(add, "keys_without_ttl", () =>
    ttlSampleCheck(connection, ask, primaries, keys, timeoutMs, options.ttlSample ?? 1000),
  );
  return { checks };
}

type Verdict = [CheckStatus, string];
type Add = (name: string, status: CheckStatus, message: string) => void;

async function each(add: Add, name: string, check: () => Promise<Verdict>): Promise<void> {
  try {
    const [status, message] = await check();
    add(name, status, message);
  } catch (error) {
    add(name, "fail", `could not check: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  if (error instanceof SessionStoreError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

async function topologyCheck(
  ask: NodeAsk,
  primaries: RedisNodeHandle[],
  connection: RedisConnection,
): Promise<Verdict> {
  const lines: string[] = [];
  let status: CheckStatus = "ok";
  for (const node of primaries) {
    const replication = await infoOf(ask, node, "replication");
    const role = replication.get("role") ?? "unknown";
    if (role !== "master") {
      // A replica given as the write endpoint: every write fails with READONLY.
      status = "fail";
      lines.push(
        `${node.address} is a ${role} (of ${replication.get("master_host")}:${replication.get("master_port")}): give the primary, or use redis+sentinel://`,
      );
      continue;
    }
    const replicas = replicasOf(replication);
    lines.push(
      `${node.address} primary, ${replicas.length === 0 ? "no replicas" : `replicas ${replicas.join(", ")}`}`,
    );
  }
  if (connection.topology === "standalone") {
    const cluster = await infoOf(ask, primaries[0] as RedisNodeHandle, "cluster").catch(() => new Map());
    if (cluster.get("cluster_enabled") === "1") {
      status = "fail";
      lines.push("this is a Redis Cluster node: use a redis+cluster:// URL");
    }
  }
  return [status, `${connection.topology}: ${lines.join("; ")}`];
}

async function clusterStateCheck(ask: NodeAsk, primaries: RedisNodeHandle[]): Promise<Verdict> {
  for (const node of primaries) {
    try {
      await checkClusterState(node.address, (args) => ask(node, args));
    } catch (error) {
      if (error instanceof SessionConfigError) return ["fail", error.message];
      throw error;
    }
  }
  return ["ok", `cluster_state:ok on all ${primaries.length} primaries`];
}

async function versionCheck(ask: NodeAsk, primaries: RedisNodeHandle[]): Promise<Verdict> {
  const versions = new Set<string>();
  for (const node of primaries) versions.add((await infoOf(ask, node, "server")).get("redis_version") ?? "?");
  const list = [...versions].join(", ");
  const oldest = Math.min(...[...versions].map((v) => Number(v.split(".")[0])));
  if (oldest < 7) return ["warn", `Redis ${list}: ttl-audit --fix needs 7.0+ (EXPIRE ... NX)`];
  return [versions.size > 1 ? "warn" : "ok", `Redis ${list}${versions.size > 1 ? " (mixed versions)" : ""}`];
}

async function maxmemoryCheck(ask: NodeAsk, primaries: RedisNodeHandle[]): Promise<Verdict> {
  const notes: string[] = [];
  let status: CheckStatus = "ok";
  for (const node of primaries) {
    const memory = await infoOf(ask, node, "memory");
    const limit = Number(memory.get("maxmemory") ?? "0");
    const policy = memory.get("maxmemory_policy") ?? "unknown";
    const used = Number(memory.get("used_memory") ?? "0");
    if (limit === 0) {
      // The start-up check's rule: without a limit the policy never applies (a note, not a warning).
      notes.push(
        `${node.address}: no maxmemory limit (${formatBytes(used)} used), policy ${policy} never applies`,
      );
      continue;
    }
    const warning = maxmemoryWarning(policy);
    if (warning) status = "warn";
    const share = `${formatBytes(used)} of ${formatBytes(limit)} (${Math.round((used / limit) * 100)} %)`;
    notes.push(`${node.address}: ${share}, ${warning ?? `policy ${policy}`}`);
  }
  return [status, notes.join("; ")];
}

async function persistenceCheck(ask: NodeAsk, primaries: RedisNodeHandle[]): Promise<Verdict> {
  const notes: string[] = [];
  let status: CheckStatus = "ok";
  for (const node of primaries) {
    const info = await infoOf(ask, node, "persistence");
    if (info.get("rdb_last_bgsave_status") === "err" || info.get("aof_last_write_status") === "err") {
      status = "fail";
      notes.push(`${node.address}: the last RDB save or AOF write failed (disk full or not writable?)`);
      continue;
    }
    const aof = info.get("aof_enabled") === "1";
    // The RDB schedule is only in CONFIG; without permission say what is known.
    const save = await ask(node, ["CONFIG", "GET", "save"]).then(
      (reply) =>
        Array.isArray(reply) ? String(reply[1] ?? "") : String(Object.values(reply as object)[0] ?? ""),
      () => undefined,
    );
    if (!aof && save === "") {
      status = status === "fail" ? status : "warn";
      notes.push(`${node.address}: no AOF and no RDB schedule: a restart logs every user out`);
    } else {
      const rdb =
        save === undefined
          ? "RDB schedule unknown (CONFIG refused)"
          : save === ""
            ? "no RDB"
            : `RDB "${save}"`;
      notes.push(`${node.address}: ${aof ? "AOF on" : "AOF off"}, ${rdb}`);
    }
  }
  return [status, notes.join("; ")];
}

async function evictionCheck(ask: NodeAsk, primaries: RedisNodeHandle[]): Promise<Verdict> {
  let evicted = 0;
  for (const node of primaries)
    evicted += Number((await infoOf(ask, node, "stats")).get("evicted_keys") ?? "0");
  return evicted === 0
    ? ["ok", "0 keys evicted since the last restart"]
    : [
        "warn",
        `${evicted} keys evicted since the last restart: memory is full, sessions (and other keys) were dropped`,
      ];
}

async function aclCheck(
  connection: RedisConnection,
  primary: RedisNodeHandle,
  keys: KeyLayout,
  timeoutMs: number,
): Promise<Verdict> {
  const { missing } = await probeAcl(connection, primary, keys, timeoutMs);
  const named = (commands: string[]) =>
    commands
      .sort()
      .map((c) => `+${c}`)
      .join(" ");
  const why: Record<string, string> = {
    events: "the events option needs",
    "start-up check": "the start-up check needs (it is a note without them)",
    "replica reads, durability": "replicaReads and durability need",
  };
  const optional = [...missing]
    .filter(([need]) => need !== "sessions")
    .map(([need, commands]) => `${why[need] ?? need} ${named(commands)}`)
    .join("; ");
  const required = missing.get("sessions");
  if (required) {
    return [
      "fail",
      `the Redis user may not run ${named(required)}: every session request needs them (README "Redis ACL")${optional ? `; ${optional}` : ""}`,
    ];
  }
  try {
    // End to end: the request path's own scripts, on a probe key that lives 1 s.
    await checkReady(connection, keys, timeoutMs);
  } catch (error) {
    // A configuration problem (replica, cluster state) is reported by its own check: the commands ran.
    if (!(error instanceof SessionConfigError)) return ["fail", messageOf(error)];
  }
  if (optional) return ["warn", `sessions work; ${optional}`];
  return ["ok", "every command sessionkit sends is allowed, and the request path's scripts run"];
}

async function latencyCheck(ask: NodeAsk, primaries: RedisNodeHandle[], pings: number): Promise<Verdict> {
  const times = await pingLatencies(ask, primaries, pings);
  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  const message = `PING p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (${times.length} pings)`;
  return [p99 > SLOW_PING_MS ? "warn" : "ok", message];
}

async function ttlSampleCheck(
  connection: RedisConnection,
  ask: NodeAsk,
  primaries: RedisNodeHandle[],
  keys: KeyLayout,
  timeoutMs: number,
  perNode: number,
): Promise<Verdict> {
  let sampled = 0;
  let ours = 0;
  const patterns = new Map<string, number>();
  for (const node of primaries) {
    let cursor = "0";
    let seen = 0;
    do {
      const [next, batch] = (await ask(node, ["SCAN", cursor, "COUNT", String(perNode)])) as [
        string,
        string[],
      ];
      cursor = String(next);
      const ttls = await perKey(
        { node, keys: batch },
        (key) => ["PTTL", key],
        timeoutMs,
        connection.lastError,
      );
      batch.forEach((key, i) => {
        if (ttls[i] !== -1) return;
        if (key.startsWith(keys.namespacePrefix)) ours++;
        const pattern = foldKeyPattern(key);
        patterns.set(pattern, (patterns.get(pattern) ?? 0) + 1);
      });
      seen += batch.length;
    } while (cursor !== "0" && seen < perNode);
    sampled += seen;
  }
  const found = [...patterns.values()].reduce((a, b) => a + b, 0);
  if (found === 0) return ["ok", `none in a sample of ${sampled} keys`];
  const top = [...patterns]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([p, n]) => `${p} (${n})`)
    .join(", ");
  const message = `${found} of ${sampled} sampled keys have no TTL: ${top}. Run sessionkit ttl-audit for all of them`;
  // One of ours without a TTL breaks rule 1 (the library never writes one): that is a failure.
  return [
    ours > 0 ? "fail" : "warn",
    ours > 0 ? `${ours} of them are sessionkit's (${keys.namespacePrefix}*); ${message}` : message,
  ];
}
