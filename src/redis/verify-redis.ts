import { SessionConfigError } from "../common/errors.js";
import type { RedisConnection, RedisNodeHandle, Topology } from "./connection/redis-connection.js";
import { withTimeout } from "./with-timeout.js";

export interface RedisReport {
  topology: Topology;
  /** host:port of every primary checked. */
  primaries: string[];
  /** maxmemory-policy per primary; null where neither INFO nor CONFIG would tell. */
  maxmemoryPolicies: Record<string, string | null>;
  /** Settings that will hurt sessions: also emitted as a process warning. */
  warnings: string[];
  /** What could not be checked, and why. */
  notes: string[];
}

/**
 * Start-up checks for a Redis that cannot serve sessions. Definite problems (a replica given as the write
 * endpoint, a cluster that is not ok) throw a SessionConfigError that says what to change; a Redis that
 * does not answer yet is only noted (the client keeps reconnecting and requests fail with 503 meanwhile).
 */
export async function verifyRedis(connection: RedisConnection, timeoutMs: number): Promise<RedisReport> {
  const report: RedisReport = {
    topology: connection.topology,
    primaries: [],
    maxmemoryPolicies: {},
    warnings: [],
    notes: [],
  };
  let primaries: RedisNodeHandle[];
  try {
    primaries = await withTimeout(
      "topology discovery",
      timeoutMs,
      () => connection.primaries(),
      connection.lastError,
    );
  } catch (error) {
    report.notes.push(`could not reach Redis to check it: ${(error as Error).message}`);
    return report;
  }
  for (const node of primaries) {
    report.primaries.push(node.address);
    const ask = (args: string[]) =>
      withTimeout(args[0] as string, timeoutMs, () => node.call(args), connection.lastError);
    try {
      if (connection.topology === "cluster") await checkClusterState(node.address, ask);
      else await checkIsPrimary(node.address, ask, connection.topology);
    } catch (error) {
      if (error instanceof SessionConfigError) throw error;
      report.notes.push(`could not check ${node.address}: ${(error as Error).message}`);
      continue;
    }
    const memory = await readMemorySettings(ask);
    report.maxmemoryPolicies[node.address] = memory?.policy ?? null;
    if (memory === null) {
      report.notes.push(
        `could not read maxmemory-policy on ${node.address} (INFO and CONFIG refused): check it yourself`,
      );
    } else if (memory.maxmemoryBytes === 0) {
      // Without a limit the policy never applies: Redis grows until the OS stops it.
      report.notes.push(
        `${node.address} has no maxmemory limit, so its maxmemory-policy (${memory.policy}) never applies`,
      );
    } else {
      const warning = maxmemoryWarning(memory.policy);
      if (warning) report.warnings.push(`${node.address}: ${warning}`);
    }
  }
  return report;
}

export type Ask = (args: string[]) => Promise<unknown>;

async function checkIsPrimary(address: string, ask: Ask, topology: Topology): Promise<void> {
  if (topology === "standalone") {
    const info = String(await ask(["INFO", "cluster"]).catch(() => ""));
    if (/cluster_enabled:1/.test(info)) {
      throw new SessionConfigError(
        `Redis at ${address} is a Redis Cluster node: use a redis+cluster://${address} URL (or an ioredis Cluster / node-redis cluster client), or requests will fail with MOVED.`,
      );
    }
  }
  const role = (await ask(["ROLE"])) as unknown[];
  if (role?.[0] === "slave" || role?.[0] === "replica") {
    throw new SessionConfigError(
      `Redis at ${address} is a read-only replica (of ${role[1]}:${role[2]}): sessions are written to the primary. Give the primary's address, or use redis+sentinel:// so the client finds it.`,
    );
  }
}

export async function checkClusterState(address: string, ask: Ask): Promise<void> {
  let info: string;
  try {
    info = String(await ask(["CLUSTER", "INFO"]));
  } catch (error) {
    if (/cluster support disabled/i.test((error as Error).message)) {
      throw new SessionConfigError(
        `Redis at ${address} is not a cluster node (cluster support disabled): use a redis:// URL for a standalone Redis.`,
      );
    }
    throw error;
  }
  const state = /cluster_state:(\w+)/.exec(info)?.[1];
  if (state !== "ok") {
    const slots = /cluster_slots_assigned:(\d+)/.exec(info)?.[1] ?? "?";
    throw new SessionConfigError(
      `Redis Cluster node ${address} reports cluster_state:${state ?? "unknown"} (${slots}/16384 slots assigned): the cluster cannot serve requests. Redis needs at least 3 primaries covering every slot (redis-cli --cluster create ... --cluster-replicas 1) and a majority of them reachable.`,
    );
  }
}

interface MemorySettings {
  policy: string;
  /** 0 means no limit. */
  maxmemoryBytes: number;
}

/** INFO needs no special permission on most managed services; CONFIG GET is the fallback. */
async function readMemorySettings(ask: Ask): Promise<MemorySettings | null> {
  try {
    const info = String(await ask(["INFO", "memory"]));
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    const maxmemory = /^maxmemory:(\d+)/m.exec(info)?.[1];
    if (policy && maxmemory !== undefined) return { policy, maxmemoryBytes: Number(maxmemory) };
  } catch {
    // fall through to CONFIG
  }
  try {
    const policy = configValue(await ask(["CONFIG", "GET", "maxmemory-policy"]), "maxmemory-policy");
    const maxmemory = configValue(await ask(["CONFIG", "GET", "maxmemory"]), "maxmemory");
    return policy && maxmemory ? { policy, maxmemoryBytes: Number(maxmemory) } : null;
  } catch {
    return null;
  }
}

/** CONFIG GET answers [name, value] (RESP2) or {name: value} (RESP3). */
function configValue(reply: unknown, name: string): string | undefined {
  const value = Array.isArray(reply) ? reply[1] : (reply as Record<string, unknown> | null)?.[name];
  return typeof value === "string" ? value : undefined;
}

export function maxmemoryWarning(policy: string): string | null {
  if (policy === "noeviction") {
    return 'maxmemory-policy is "noeviction": when memory is full Redis refuses every write, so logins and session changes fail (OOM). Use volatile-lru or volatile-ttl: every session key has a TTL, so sessions are evictable and other keys without a TTL are kept.';
  }
  if (policy.startsWith("allkeys-")) {
    return `maxmemory-policy is "${policy}": under memory pressure Redis evicts any key, including live sessions and keys of other apps that have no TTL. Use volatile-lru or volatile-ttl: sessions always have TTLs, so the volatile family is the safe one.`;
  }
  return null;
}
