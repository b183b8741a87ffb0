import type { ConnectionOptions as TlsOptions } from "node:tls";
import type { ClusterOptions, Redis, RedisOptions } from "ioredis";
import { type DiagnosticSink, publishDiagnostic } from "../../common/diagnostics.js";
import { ErrorCodes, SessionConfigError, SessionStoreError } from "../../common/errors.js";
import { timeoutOnlyWhileConnecting } from "../tuning/handshake-timeout.js";
import { absorbLateSocketErrors } from "../tuning/late-socket-errors.js";
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
  explain: (error: Error) => Error = (error) => error,
): T {
  // Without a listener ioredis prints "Unhandled error event" on every failed reconnect attempt.
  client.on("error", (error: Error) =>
    report({ code: "SESSION_REDIS_CONNECTION_ERROR", message: explain(error).message }),
  );
  return client;
}

/**
 * Every node client sessionkit creates: ioredis's timer only while connecting, a turn's commands in one
 * write, in-flight commands of a dropped connection failed rather than re-sent, a failed socket's later
 * errors kept from crashing the process.
 */
function tuneNodeClient(client: Redis, options: CreateOptions): Redis {
  timeoutOnlyWhileConnecting(client, options.commandTimeoutMs);
  batchWritesPerTurn(client);
  rejectUnfulfilledOnReconnect(client);
  absorbLateSocketErrors(client);
  return client;
}

/** A standalone or Sentinel client of sessionkit's: tuned, and its errors reported. */
function nodeClient(client: Redis, options: CreateOptions, explain?: (error: Error) => Error): Redis {
  return reportErrors(tuneNodeClient(client, options), options.report, explain);
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
      // rediss+sentinel:// is TLS to the Sentinels too (ioredis's sentinelTLS), with the same tls option.
      const sentinelTls = target.tls ? { tls: { ...options.tls } } : {};
      const probe = (check?: Check) =>
        askFirstReachable(Redis, target.sentinels, sentinelTls, options.commandTimeoutMs, check);
      const hidden = new HiddenCause(await checkSentinels(probe, target.masterName), () => probe());
      const sentinelOptions: RedisOptions = {
        ...base,
        sentinels: target.sentinels,
        name: target.masterName,
        db: target.db,
        enableTLSForSentinelMode: target.tls,
        ...(target.tls ? { sentinelTLS: sentinelTls.tls } : {}),
        sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
      };
      const writer = nodeClient(new Redis(sentinelOptions), options, hidden.explain);
      const reader = options.replicaReads
        ? nodeClient(new Redis({ ...sentinelOptions, role: "slave" }), options, hidden.explain)
        : undefined;
      return { writer, reader, readsFromReplicas: reader !== undefined, explainError: hidden.explain };
    }
    case "cluster": {
      const auth = {
        username: target.username,
        password: target.password,
        ...(target.tls ? { tls: { ...options.tls } } : {}),
      };
      const probe = (check?: Check) =>
        askFirstReachable(Redis, target.nodes, auth, options.commandTimeoutMs, check);
      const firstCause = await probe((ask, node) => checkClusterState(formatHostPort(node), ask));
      const hidden = new HiddenCause(firstCause, () => probe());
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
      const writer = reportErrors(new Cluster(target.nodes, clusterOptions), options.report, hidden.explain);
      // The Cluster creates its node clients itself (and new ones after a topology change); their errors
      // reach the Cluster's listener already.
      writer.on("+node", (node: Redis) => tuneNodeClient(node, options));
      return { writer, readsFromReplicas: options.replicaReads, explainError: hidden.explain };
    }
  }
}

/**
 * Asks the Sentinels for the master before creating the client: ioredis would otherwise retry for ever
 * with a vague error when the master name is wrong. A definite "unknown master" is a configuration error;
 * Sentinels that do not answer are left to the client's reconnects (returns why none answered).
 */
function checkSentinels(
  probe: (check: Check) => Promise<Error | undefined>,
  masterName: string,
): Promise<Error | undefined> {
  return probe(async (ask, sentinel) => {
    if ((await ask(["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName])) !== null) return;
    const masters = (await ask(["SENTINEL", "MASTERS"])) as unknown[][];
    const known = masters.map((fields) => fields[fields.indexOf("name") + 1]).filter(Boolean);
    throw new SessionConfigError(
      `Sentinel ${formatHostPort(sentinel)} does not know a master named "${masterName}" (it monitors: ${known.length ? known.join(", ") : "none"})`,
    );
  });
}

type Check = (ask: Ask, node: HostPort) => Promise<void>;

/**
 * Runs `check` (by default none: connecting is the test) against the first node that answers. A
 * SessionConfigError from the check is final; nodes that cannot be reached are skipped (the real client
 * keeps trying them). Returns undefined once a node answered, else the last node's error.
 *
 * Before a cluster client is created, `check` asks a seed node for the cluster state: against a cluster
 * that is not ok (slots unassigned, too few primaries) ioredis only reports "Failed to refresh slots cache".
 */
async function askFirstReachable(
  Redis: Ioredis["Redis"],
  nodes: HostPort[],
  auth: RedisOptions,
  timeoutMs: number,
  check: Check = async () => {},
): Promise<Error | undefined> {
  let lastError: Error | undefined;
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
    absorbLateSocketErrors(probe);
    // The socket's own error (a certificate that does not verify): connect() only says the connection
    // closed. A TLS alert (no client certificate) can come after the reset of the write it refused.
    let socketError: Error | undefined;
    probe.on("error", (error: Error) => {
      if (socketError === undefined || TLS_ERROR.test(describeError(error))) socketError = error;
    });
    try {
      await probe.connect();
      await check((args) => probe.call(args[0] as string, ...args.slice(1)), node);
      return undefined;
    } catch (error) {
      if (error instanceof SessionConfigError) throw error;
      const why = socketError ?? error;
      lastError = new Error(`${formatHostPort(node)}: ${describeError(why)}`, { cause: why });
    } finally {
      probe.disconnect();
    }
  }
  return lastError;
}

const TLS_ERROR = /ERR_SSL|ERR_TLS|CERT/;

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code} ${message}` : message;
}

/** The errors of ioredis's that hide their cause (see HiddenCause). */
const HIDES_ITS_CAUSE = /^Failed to refresh slots cache|^All sentinels are unreachable/;
const REPROBE_INTERVAL_MS = 1000;

/**
 * ioredis does not say why a Cluster cannot load its slots or why no Sentinel answers: the connections it
 * makes for CLUSTER SLOTS and SENTINEL get-master-addr-by-name drop their own errors, so a certificate
 * that does not verify (or a wrong password, or nothing listening) only ever reads "Failed to refresh
 * slots cache." or "All sentinels are unreachable ... Last error: Connection is closed.". sessionkit's own
 * probe of the same nodes, with the same options, sees the real error: it is added to such an error, for
 * the log and the diagnostics, and for ready() and the requests (SESSION_STORE_TLS at once instead of a
 * timeout). While the errors go on, the nodes are probed again, at most once a second, so the cause
 * given stays the current one.
 */
class HiddenCause {
  #cause: Error | undefined;
  #probing = false;
  #probedAt = Date.now();

  constructor(
    firstCause: Error | undefined,
    private readonly probe: () => Promise<Error | undefined>,
  ) {
    this.#cause = firstCause;
  }

  readonly explain = (error: Error): Error => {
    if (!HIDES_ITS_CAUSE.test(error.message)) return error;
    this.#reprobe();
    if (this.#cause === undefined) return error;
    return new Error(`${error.message} (a probe of sessionkit's: ${this.#cause.message})`, { cause: error });
  };

  #reprobe(): void {
    if (this.#probing || Date.now() - this.#probedAt < REPROBE_INTERVAL_MS) return;
    this.#probing = true;
    this.probe()
      .then(
        (cause) => {
          this.#cause = cause;
        },
        () => {},
      )
      .finally(() => {
        this.#probing = false;
        this.#probedAt = Date.now();
      });
  }
}
