import type { ConnectionOptions as TlsOptions } from "node:tls";
import type { ClusterOptions, Redis, RedisOptions } from "ioredis";
import { type DiagnosticSink, publishDiagnostic } from "../../common/diagnostics.js";
import { ErrorCodes, SessionConfigError, SessionStoreError } from "../../common/errors.js";
import { timeoutOnlyWhileConnecting } from "../tuning/handshake-timeout.js";
import { rejectUnfulfilledOnReconnect } from "../tuning/reject-unfulfilled.js";
import { batchWritesPerTurn } from "../tuning/write-batch.js";
import { type Ask, checkClusterState } from "../verify-redis.js";
import type { IoredisConnectionOptions } from "./ioredis-connection.js";
import { formatHostPort, type HostPort, type RedisTarget } from "./redis-url.js";

type Ioredis = { Redis: typeof import("ioredis").Redis; Cluster: typeof import("ioredis").Cluster };

export interface CreateOptions {
  commandTimeoutMs: number;
  replicaReads: boolean;
  /** TLS settings for rediss:// URLs (CA, client certificate, servername): node:tls options. */
  tls?: TlsOptions;
  /** Where connection errors go (the channel by default). */
  report?: DiagnosticSink;
}

/**
 * ioredis, or iovalkey (its fork for Valkey, the same API) when only that is installed. Both are
 * optional peers: an app that passes its own client needs neither.
 */
export async function loadIoredis(
  importers: readonly (() => Promise<Ioredis>)[] = [
    () => import("ioredis"),
    // The same classes; its option types are declared separately (a copy), hence the cast.
    () => import("iovalkey") as unknown as Promise<Ioredis>,
  ],
): Promise<Ioredis> {
  const failures: string[] = [];
  for (const importer of importers) {
    try {
      const { Redis, Cluster } = await importer();
      return { Redis, Cluster };
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  // A 503 like any store that cannot serve, with the fix in its message (ready() reports it at start-up).
  throw new SessionStoreError(
    ErrorCodes.STORE_UNAVAILABLE,
    `a Redis URL needs the ioredis package (or iovalkey): npm install ioredis (${failures.join("; ")})`,
  );
}

/** Client settings for DESIGN rule 9: fail fast while disconnected, bounded commands, endless reconnects. */
function baseOptions(target: RedisTarget, options: CreateOptions): RedisOptions {
  return {
    username: target.username,
    password: target.password,
    ...(target.tls ? { tls: { ...options.tls } } : {}),
    // Fail fast instead of queueing while disconnected: a request must never wait on an offline queue.
    enableOfflineQueue: false,
    // For the commands ioredis sends itself (the handshake after a connect, QUIT): sessionkit bounds its
    // own calls (redis/with-timeout.ts). Dropped while a client (a cluster's node clients included) is
    // ready: handshake-timeout.ts.
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(options.commandTimeoutMs, 2000),
    // Keep reconnecting for ever with a capped backoff: recovery needs no restart.
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 1000),
    // Each command written at once. ioredis's auto-pipelining batches a tick's commands into one write, but
    // wraps each in a promise, a callback and a pipeline and lets one batch be in flight at a time: at a
    // web app's concurrency that cost more than the writes it saves (measured: bench/README.md).
    enableAutoPipelining: false,
    // A command in flight when a connection drops fails; it is not sent again on the next connection:
    // its request may already have been answered 503, and a write (a login's create) must not land later.
    autoResendUnfulfilledCommands: false,
  };
}

function reportErrors<T extends { on(event: "error", listener: (error: Error) => void): unknown }>(
  client: T,
  report: DiagnosticSink = publishDiagnostic,
): T {
  // Without a listener ioredis prints "Unhandled error event" on every failed reconnect attempt.
  client.on("error", (error: Error) =>
    report({ code: "SESSION_REDIS_CONNECTION_ERROR", message: error.message }),
  );
  return client;
}

/**
 * Every node client sessionkit creates: ioredis's timer only while connecting, a turn's commands in one
 * write, in-flight commands of a dropped connection failed rather than re-sent.
 */
function tuneNodeClient(client: Redis, options: CreateOptions): Redis {
  timeoutOnlyWhileConnecting(client, options.commandTimeoutMs);
  batchWritesPerTurn(client);
  rejectUnfulfilledOnReconnect(client);
  return client;
}

/** A standalone or Sentinel client of sessionkit's: tuned, and its errors reported. */
function nodeClient(client: Redis, options: CreateOptions): Redis {
  return reportErrors(tuneNodeClient(client, options), options.report);
}

/** Creates the ioredis client(s) a URL names. Sentinel targets are checked first (see checkSentinels). */
export async function createIoredisClients(
  target: RedisTarget,
  options: CreateOptions,
): Promise<Omit<IoredisConnectionOptions, "owned">> {
  if (options.tls !== undefined && !target.tls) {
    throw new SessionConfigError(
      "the tls option needs a rediss:// URL (rediss+sentinel://, rediss+cluster://)",
    );
  }
  const { Redis, Cluster } = await loadIoredis();
  const base = baseOptions(target, options);
  switch (target.kind) {
    case "standalone": {
      if (options.replicaReads && !target.replica) {
        throw new SessionConfigError(
          "replicaReads on a redis:// URL needs the replica's address: redis://primary:6379?replica=host:port",
        );
      }
      const writer = nodeClient(
        new Redis({ ...base, host: target.node.host, port: target.node.port, db: target.db }),
        options,
      );
      const reader =
        options.replicaReads && target.replica
          ? nodeClient(
              new Redis({
                ...base,
                host: target.replica.host,
                port: target.replica.port,
                db: target.db,
                readOnly: true,
              }),
              options,
            )
          : undefined;
      return { writer, reader, readsFromReplicas: reader !== undefined };
    }
    case "sentinel": {
      await checkSentinels(Redis, target.sentinels, target.masterName, options.commandTimeoutMs);
      const sentinelOptions: RedisOptions = {
        ...base,
        sentinels: target.sentinels,
        name: target.masterName,
        db: target.db,
        enableTLSForSentinelMode: target.tls,
        sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
      };
      const writer = nodeClient(new Redis(sentinelOptions), options);
      const reader = options.replicaReads
        ? nodeClient(new Redis({ ...sentinelOptions, role: "slave" }), options)
        : undefined;
      return { writer, reader, readsFromReplicas: reader !== undefined };
    }
    case "cluster": {
      await checkClusterSeeds(Redis, target, options);
      const { enableOfflineQueue, retryStrategy: _perNodeRetry, ...nodeOptions } = base;
      const clusterOptions: ClusterOptions = {
        redisOptions: nodeOptions,
        enableOfflineQueue,
        // Reads (GET) go to replicas, scripts always to primaries.
        scaleReads: options.replicaReads ? "slave" : "master",
        clusterRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
        // CLUSTERDOWN / TRYAGAIN during a failover: retried inside the command timeout, not surfaced at once.
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        retryDelayOnFailover: 100,
        slotsRefreshTimeout: Math.max(options.commandTimeoutMs, 1000),
      };
      const writer = reportErrors(new Cluster(target.nodes, clusterOptions), options.report);
      // The Cluster creates its node clients itself (and new ones after a topology change); their errors
      // reach the Cluster's listener already.
      writer.on("+node", (node: Redis) => tuneNodeClient(node, options));
      return { writer, readsFromReplicas: options.replicaReads };
    }
  }
}

/**
 * Asks the Sentinels for the master before creating the client: ioredis would otherwise retry for ever
 * with a vague error when the master name is wrong. A definite "unknown master" is a configuration error;
 * Sentinels that do not answer are left to the client's reconnects.
 */
async function checkSentinels(
  Redis: Ioredis["Redis"],
  sentinels: HostPort[],
  masterName: string,
  timeoutMs: number,
): Promise<void> {
  await askFirstReachable(Redis, sentinels, {}, timeoutMs, async (ask, sentinel) => {
    if ((await ask(["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName])) !== null) return;
    const masters = (await ask(["SENTINEL", "MASTERS"])) as unknown[][];
    const known = masters.map((fields) => fields[fields.indexOf("name") + 1]).filter(Boolean);
    throw new SessionConfigError(
      `Sentinel ${formatHostPort(sentinel)} does not know a master named "${masterName}" (it monitors: ${known.length ? known.join(", ") : "none"})`,
    );
  });
}

/**
 * Asks a seed node for the cluster state before creating the client: against a cluster that is not ok
 * (slots unassigned, too few primaries) ioredis only reports "Failed to refresh slots cache".
 */
async function checkClusterSeeds(
  Redis: Ioredis["Redis"],
  target: RedisTarget & { kind: "cluster" },
  options: CreateOptions,
): Promise<void> {
  const auth = {
    username: target.username,
    password: target.password,
    ...(target.tls ? { tls: { ...options.tls } } : {}),
  };
  await askFirstReachable(Redis, target.nodes, auth, options.commandTimeoutMs, (ask, node) =>
    checkClusterState(formatHostPort(node), ask),
  );
}

/**
 * Runs `check` against the first node that answers. A SessionConfigError from the check is final;
 * nodes that cannot be reached are skipped (the real client keeps trying them).
 */
async function askFirstReachable(
  Redis: Ioredis["Redis"],
  nodes: HostPort[],
  auth: RedisOptions,
  timeoutMs: number,
  check: (ask: Ask, node: HostPort) => Promise<void>,
): Promise<void> {
  for (const node of nodes) {
    const probe = new Redis({
      ...auth,
      host: node.host,
      port: node.port,
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await check((args) => probe.call(args[0] as string, ...args.slice(1)), node);
      return;
    } catch (error) {
      if (error instanceof SessionConfigError) throw error;
    } finally {
      probe.disconnect();
    }
  }
}
