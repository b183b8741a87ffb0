import type { Cluster, Redis } from "ioredis";
import { isNoScriptError } from "../lua-script.js";
import { quitBounded } from "../tuning/handshake-timeout.js";
import type { LuaScript, RedisConnection, RedisNodeHandle, Topology } from "./redis-connection.js";

export type IoredisClient = Redis | Cluster;

export function isIoredisClient(client: object): client is IoredisClient {
  return typeof (client as { hgetall?: unknown }).hgetall === "function";
}

export function isIoredisCluster(client: IoredisClient): client is Cluster {
  return (
    typeof (client as { nodes?: unknown }).nodes === "function" &&
    (client as { isCluster?: boolean }).isCluster === true
  );
}

export interface IoredisConnectionOptions {
  /** Receives every write (and, unless `reader` is given, every read). */
  writer: IoredisClient;
  /** A client connected to a replica, for replica reads on standalone and Sentinel. */
  reader?: IoredisClient;
  /** A cluster client created with scaleReads "slave" serves reads from replicas itself. */
  readsFromReplicas: boolean;
  /** sessionkit created the clients: it closes them. */
  owned: boolean;
  /** Adds the cause to a client error that hides it (create-ioredis.ts HiddenCause). */
  explainError?: (error: Error) => Error;
}

/**
 * Wraps ioredis clients (standalone, Sentinel or Cluster). Session reads (get) go to `reader` when given
 * (replica reads on standalone and Sentinel); a cluster client routes them to replicas itself under
 * scaleReads. When sessionkit created the client it disabled
 * the offline queue (a command sent while Redis is down fails at once instead of hanging, DESIGN rule 9),
 * so the first commands wait here for the initial connection instead of failing during start-up.
 */
export function ioredisConnection(options: IoredisConnectionOptions): RedisConnection {
  const { writer, reader, owned } = options;
  const clients = reader ? [writer, reader] : [writer];
  const firstReady = Promise.all(clients.map(readyOnce));
  let everReady = clients.every((c) => c.status === "ready");
  void firstReady.then(() => {
    everReady = true;
  });
  const ready = (): Promise<unknown> | undefined => (everReady ? undefined : firstReady);
  let lastError: Error | undefined;
  for (const client of clients) {
    client.on("error", (error: Error) => {
      lastError = options.explainError?.(error) ?? error;
    });
    client.on("ready", () => {
      lastError = undefined;
    });
  }
  const topology: Topology = isIoredisCluster(writer)
    ? "cluster"
    : (writer.options.sentinels?.length ?? 0) > 0
      ? "sentinel"
      : "standalone";

  const evalScript = (
    client: IoredisClient,
    script: LuaScript,
    keys: readonly string[],
    args: readonly string[],
  ) =>
    client.evalsha(script.sha1, keys.length, ...keys, ...args).catch((error: unknown) => {
      if (!isNoScriptError(error)) throw error;
      return client.eval(script.source, keys.length, ...keys, ...args);
    });

  const sessionReader = reader ?? writer;
  return {
    topology,
    readsFromReplicas: options.readsFromReplicas,
    // Not async: the read of every request, one promise (the client's) once the first connection is up.
    get: (key) => (everReady ? sessionReader.get(key) : firstReady.then(() => sessionReader.get(key))),
    async runScript(script, keys, args) {
      await ready();
      return evalScript(writer, script, keys, args);
    },
    async runScriptAndWait(script, keys, args, ack) {
      await ready();
      const send = async (useEval: boolean) => {
        const pipeline = writer.pipeline();
        if (useEval) pipeline.eval(script.source, keys.length, ...keys, ...args);
        else pipeline.evalsha(script.sha1, keys.length, ...keys, ...args);
        pipeline.wait(ack.replicas, ack.timeoutMs);
        return (await pipeline.exec()) ?? [];
      };
      let results = await send(false);
      if (isNoScriptError(results[0]?.[0])) results = await send(true);
      const [[scriptError, reply] = [], [waitError, acknowledged] = []] = results;
      if (scriptError) throw scriptError;
      if (waitError) throw waitError;
      return [reply, Number(acknowledged)];
    },
    async del(key) {
      await ready();
      await writer.del(key);
    },
    async command(_key, args) {
      await ready();
      // ioredis finds the key of a known command itself and routes it in a cluster.
      return writer.call(args[0] as string, ...args.slice(1));
    },
    async primaries() {
      await ready();
      const nodes: Redis[] = isIoredisCluster(writer) ? writer.nodes("master") : [writer];
      return nodes.map(
        (node): RedisNodeHandle => ({
          address: addressOf(node),
          call: (args) => node.call(args[0] as string, ...args.slice(1)),
        }),
      );
    },
    lastError: () => lastError,
    async close() {
      if (!owned) return;
      await Promise.all(clients.map(quitBounded));
    },
  };
}

/**
 * host:port of a node, for messages. A client that Sentinel leads has no node in its options (they say
 * localhost:6379, ioredis's default): its socket knows which primary Sentinel gave it.
 */
function addressOf(node: Redis): string {
  const socket = (node as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  if (node.options.sentinels && socket?.remoteAddress) return `${socket.remoteAddress}:${socket.remotePort}`;
  return `${node.options.host}:${node.options.port}`;
}

function readyOnce(client: IoredisClient): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => client.once("ready", () => resolve()));
}
