import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import {
  createTempDir,
  errorMessage,
  REDIS_HOST,
  REDIS_SERVER_MISSING,
  type RedisServerHandle,
  redisCommand,
  redisInfo,
  removeTempDir,
  startRedisServer,
  sweepStaleServers,
  waitFor,
} from "./redis-server.js";
import type { TestCertificates } from "./tls.js";

/** Plain ports only: vitest passes this to the test workers as JSON. */
export interface Topologies {
  standalone: { port: number; url: string };
  replicated: { primary: number; replica: number };
  sentinel: { sentinelPort: number; masterName: "mymaster"; primary: number; replica: number };
  cluster: { ports: number[]; primaries: number[]; replicas: number[] };
}

export interface RunningTopologies {
  topologies: Topologies;
  stop(): Promise<void>;
}

const MASTER_NAME = "mymaster";
const STEP_TIMEOUT_MS = 30_000;
const CLUSTER_SIZE = 6;
const CLUSTER_PRIMARIES = 3;
const KEYSPACE_EVENTS = ["--notify-keyspace-events", "Ex"];
/** 5000 ms (not 2000) so a loaded 2-core CI box never fails over by accident; failover tests pass less. */
const DEFAULT_CLUSTER_NODE_TIMEOUT_MS = 5000;
const clusterArgs = (nodeTimeoutMs: number) => [
  ...["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
  ...["--cluster-node-timeout", String(nodeTimeoutMs)],
  ...KEYSPACE_EVENTS,
];

type StartNode = (
  name: string,
  opts?: { args?: string[]; configFile?: string },
) => Promise<RedisServerHandle>;

export interface DedicatedTopology<T> {
  topology: T;
  /** The running server on a port, to kill or freeze it (failure tests). */
  server(port: number): RedisServerHandle;
  stop(): Promise<void>;
}

/**
 * One topology for a single test file that breaks it on purpose (kills a primary, forces a failover),
 * or that needs TLS, so the shared topologies of the run stay intact.
 *
 * With `tls`, every node (Sentinel too) listens on a TLS port only and speaks TLS to the others
 * (replication, the cluster bus, Sentinel's links), presenting the certificate and asking clients for
 * one of the same CA (startRedisServer's `tls`); the ports returned are the TLS ports.
 */
export async function startDedicatedTopology<K extends "replicated" | "sentinel" | "cluster">(
  kind: K,
  options: { clusterNodeTimeoutMs?: number; tls?: TestCertificates } = {},
): Promise<DedicatedTopology<Topologies[K]>> {
  const root = await createTempDir();
  const starting: Promise<RedisServerHandle>[] = [];
  const servers = new Map<number, RedisServerHandle>();
  const tls = options.tls && { certificates: options.tls };
  const startNode: StartNode = (name, opts = {}) => {
    const server = startRedisServer({ ...opts, name, dir: path.join(root, name), ...(tls ? { tls } : {}) });
    starting.push(server);
    void server.then(
      (handle) => servers.set(handle.port, handle),
      () => {},
    );
    return server;
  };
  const stop = async () => {
    const started = await Promise.allSettled(starting);
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    await removeTempDir(root);
  };
  try {
    const topology = (
      kind === "replicated"
        ? await startPrimaryAndReplica(startNode, "replicated")
        : kind === "sentinel"
          ? await startSentinel(startNode, root)
          : await startCluster(startNode, options.clusterNodeTimeoutMs, options.tls)
    ) as Topologies[K];
    return {
      topology,
      server: (port) => {
        const server = servers.get(port);
        if (!server) throw new Error(`no server of this topology on port ${port}`);
        return server;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startTopologies(): Promise<RunningTopologies> {
  await sweepStaleServers();
  const root = await createTempDir();
  const starting: Promise<RedisServerHandle>[] = [];
  const startNode: StartNode = (name, opts = {}) => {
    const server = startRedisServer({ ...opts, name, dir: path.join(root, name) });
    starting.push(server);
    return server;
  };
  // Waits for servers still starting too, so a failed start cannot leak its siblings.
  const stop = async () => {
    const started = await Promise.allSettled(starting);
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    await removeTempDir(root);
  };
  const [standalone, replicated, sentinel, cluster] = await Promise.allSettled([
    startStandalone(startNode),
    startPrimaryAndReplica(startNode, "replicated"),
    startSentinel(startNode, root),
    startCluster(startNode),
  ]);
  if (
    standalone.status === "fulfilled" &&
    replicated.status === "fulfilled" &&
    sentinel.status === "fulfilled" &&
    cluster.status === "fulfilled"
  ) {
    const topologies = {
      standalone: standalone.value,
      replicated: replicated.value,
      sentinel: sentinel.value,
      cluster: cluster.value,
    };
    return { topologies, stop };
  }
  await stop();
  const reasons = [standalone, replicated, sentinel, cluster].flatMap((r) =>
    r.status === "rejected" ? [errorMessage(r.reason)] : [],
  );
  throw new Error(`Starting the Redis test topologies failed:\n${reasons.join("\n\n")}`);
}

async function startStandalone(startNode: StartNode): Promise<Topologies["standalone"]> {
  const server = await startNode("standalone", { args: KEYSPACE_EVENTS });
  return { port: server.port, url: server.url };
}

// ---------------------------------------------------------------------------
// Primary + replica (also the data nodes behind Sentinel)

async function startPrimaryAndReplica(
  startNode: StartNode,
  prefix: string,
): Promise<{ primary: number; replica: number }> {
  const primary = await startNode(`${prefix}-primary`);
  // Started only once the primary answers PING: a replica that finds nobody listening backs off ~1 s.
  const replica = await startNode(`${prefix}-replica`, {
    args: ["--replicaof", REDIS_HOST, String(primary.port)],
  });
  await waitFor(
    `${prefix}: replica ${replica.port} linked to primary ${primary.port}`,
    async () => {
      const [onReplica, onPrimary] = await Promise.all([
        redisInfo(replica.port, "replication"),
        redisInfo(primary.port, "replication"),
      ]);
      return onReplica.master_link_status === "up" && onPrimary.connected_slaves === "1";
    },
    STEP_TIMEOUT_MS,
  );
  return { primary: primary.port, replica: replica.port };
}

// ---------------------------------------------------------------------------
// Sentinel

function sentinelConfig(primary: number): string {
  return [
    `sentinel monitor ${MASTER_NAME} ${REDIS_HOST} ${primary} 1`,
    `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
    `sentinel failover-timeout ${MASTER_NAME} 3000`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    "",
  ].join("\n");
}

async function startSentinel(startNode: StartNode, root: string): Promise<Topologies["sentinel"]> {
  const { primary, replica } = await startPrimaryAndReplica(startNode, "sentinel-data");
  const dir = path.join(root, "sentinel");
  const configFile = path.join(dir, "sentinel.conf");
  await mkdir(dir, { recursive: true });
  // Sentinel rewrites its config file, so it must be a writable file of its own.
  await writeFile(configFile, sentinelConfig(primary));
  const sentinel = await startNode("sentinel", { configFile, args: ["--sentinel"] });
  await waitFor(
    `sentinel ${sentinel.port}: ${MASTER_NAME} at ${primary} with healthy replica ${replica}`,
    () => sentinelReady(sentinel.port, primary, replica),
    STEP_TIMEOUT_MS,
  );
  return { sentinelPort: sentinel.port, masterName: MASTER_NAME, primary, replica };
}

function pairsToRecord(pairs: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(pairs)) return record;
  for (let i = 0; i + 1 < pairs.length; i += 2) record[String(pairs[i])] = String(pairs[i + 1]);
  return record;
}

/**
 * Right after discovery Sentinel lists the replica as "slave,disconnected", and SENTINEL FAILOVER
 * would fail with NOGOODSLAVE; wait until the flags are exactly "slave" with the link up.
 */
async function sentinelReady(sentinelPort: number, primary: number, replica: number): Promise<boolean> {
  const addr = await redisCommand(sentinelPort, "SENTINEL", "get-master-addr-by-name", MASTER_NAME);
  if (!Array.isArray(addr) || addr[0] !== REDIS_HOST || addr[1] !== String(primary)) return false;
  const replicas = await redisCommand(sentinelPort, "SENTINEL", "replicas", MASTER_NAME);
  if (!Array.isArray(replicas) || replicas.length !== 1) return false;
  const fields = pairsToRecord(replicas[0]);
  return fields.port === String(replica) && fields.flags === "slave" && fields["master-link-status"] === "ok";
}

// ---------------------------------------------------------------------------
// Cluster (3 primaries + 3 replicas)

const execFileAsync = promisify(execFile);

async function startCluster(
  startNode: StartNode,
  nodeTimeoutMs = DEFAULT_CLUSTER_NODE_TIMEOUT_MS,
  tls?: TestCertificates,
): Promise<Topologies["cluster"]> {
  const nodes = await Promise.all(
    Array.from({ length: CLUSTER_SIZE }, (_, i) =>
      startNode(`cluster-${i + 1}`, { args: clusterArgs(nodeTimeoutMs) }),
    ),
  );
  const ports = nodes.map((node) => node.port);
  await createCluster(ports, tls);
  await waitForCluster("cluster_state:ok on every node", ports, clusterStateOk);
  // Written before the slower convergence checks: the replicas' new offsets then spread with the same gossip.
  const warmKeys = await writeWarmKeys(ports);
  // cluster_state:ok comes up to ~1 s before every node lists the replicas as replicas.
  await waitForCluster("every node to see 3 primaries + 3 replicas, none failing", ports, nodeTableConverged);
  const { primaries, replicas } = await clusterRoles(ports);
  await waitForCluster("every replica's master_link_status:up", replicas, replicaLinkUp);
  await waitForCluster("every node's CLUSTER SLOTS to list a replica per range", ports, slotsListReplicas);
  await Promise.all([...warmKeys].map(([port, key]) => redisCommand(port, "DEL", key)));
  return { ports, primaries, replicas };
}

async function createCluster(ports: number[], tls?: TestCertificates): Promise<void> {
  const args = tls
    ? ["--tls", "--cacert", tls.caFile, "--cert", tls.certFile, "--key", tls.keyFile, "--sni", tls.servername]
    : [];
  args.push("--cluster", "create", ...ports.map((port) => `${REDIS_HOST}:${port}`));
  args.push("--cluster-replicas", "1", "--cluster-yes");
  try {
    await execFileAsync("redis-cli", args, { timeout: STEP_TIMEOUT_MS });
  } catch (err) {
    const { code, stdout = "", stderr = "" } = err as { code?: unknown; stdout?: string; stderr?: string };
    if (code === "ENOENT")
      throw new Error(REDIS_SERVER_MISSING.replace("redis-server not found", "redis-cli not found"));
    const output = `${stdout}${stderr}`.trim().split("\n").slice(-20).join("\n");
    throw new Error(`redis-cli ${args.join(" ")} failed: ${errorMessage(err)}\n${output}`);
  }
}

function waitForCluster(what: string, ports: number[], check: (port: number) => Promise<boolean>) {
  return waitFor(
    `cluster ${ports.join(",")}: ${what}`,
    async () => (await Promise.all(ports.map(check))).every(Boolean),
    STEP_TIMEOUT_MS,
  );
}

async function clusterStateOk(port: number): Promise<boolean> {
  const info = await redisCommand(port, "CLUSTER", "INFO");
  return typeof info === "string" && info.includes("cluster_state:ok");
}

interface NodeLine {
  port: number;
  flags: string[];
}

/** CLUSTER NODES lines: "<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slots...>". */
async function clusterNodes(port: number): Promise<NodeLine[]> {
  const text = await redisCommand(port, "CLUSTER", "NODES");
  if (typeof text !== "string") throw new Error(`CLUSTER NODES on ${port} returned ${JSON.stringify(text)}`);
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const [, address = "", flags = ""] = line.split(" ");
      return { port: Number(address.split("@")[0]?.split(":")[1]), flags: flags.split(",") };
    });
}

async function nodeTableConverged(port: number): Promise<boolean> {
  const lines = await clusterNodes(port);
  const unhealthy = ["fail", "fail?", "handshake", "noaddr"];
  return (
    lines.length === CLUSTER_SIZE &&
    lines.filter((line) => line.flags.includes("slave")).length === CLUSTER_SIZE - CLUSTER_PRIMARIES &&
    !lines.some((line) => line.flags.some((flag) => unhealthy.includes(flag)))
  );
}

/** redis-cli picks the roles; read them back instead of assuming the first 3 ports are primaries. */
async function clusterRoles(ports: number[]): Promise<{ primaries: number[]; replicas: number[] }> {
  const lines = await clusterNodes(ports[0] ?? 0);
  const isPrimary = (port: number) => lines.some((l) => l.port === port && l.flags.includes("master"));
  return { primaries: ports.filter(isPrimary), replicas: ports.filter((port) => !isPrimary(port)) };
}

async function replicaLinkUp(port: number): Promise<boolean> {
  return (await redisInfo(port, "replication")).master_link_status === "up";
}

interface SlotRange {
  start: number;
  end: number;
  /** Number of replicas CLUSTER SLOTS lists for the range. */
  replicas: number;
  primary: number;
}

async function clusterSlots(port: number): Promise<SlotRange[]> {
  const reply = await redisCommand(port, "CLUSTER", "SLOTS");
  if (!Array.isArray(reply)) throw new Error(`CLUSTER SLOTS on ${port} returned ${JSON.stringify(reply)}`);
  return reply.map((entry) => {
    const [start, end, primary, ...replicas] = Array.isArray(entry) ? entry : [];
    const primaryPort = Array.isArray(primary) ? Number(primary[1]) : Number.NaN;
    return { start: Number(start), end: Number(end), primary: primaryPort, replicas: replicas.length };
  });
}

/**
 * Redis 7.0 hides replicas whose replication offset is still 0 from CLUSTER SLOTS, so clients
 * that read from replicas would never see them. One write per primary moves every offset.
 * Returns primary port → key.
 */
async function writeWarmKeys(ports: number[]): Promise<Map<number, string>> {
  const anyPort = ports[0] ?? 0;
  const ranges = await clusterSlots(anyPort);
  const keys = new Map<number, string>();
  for (let n = 0; keys.size < CLUSTER_PRIMARIES && n < 1000; n++) {
    const key = `{harness-warm-${n}}`;
    const slot = Number(await redisCommand(anyPort, "CLUSTER", "KEYSLOT", key));
    const owner = ranges.find((range) => slot >= range.start && slot <= range.end)?.primary;
    if (owner !== undefined && !keys.has(owner)) keys.set(owner, key);
  }
  if (keys.size < CLUSTER_PRIMARIES) throw new Error(`Could not find a warm-up key for every primary`);
  await Promise.all([...keys].map(([port, key]) => redisCommand(port, "SET", key, "1")));
  return keys;
}

async function slotsListReplicas(port: number): Promise<boolean> {
  const ranges = await clusterSlots(port);
  return ranges.length >= CLUSTER_PRIMARIES && ranges.every((range) => range.replicas >= 1);
}
