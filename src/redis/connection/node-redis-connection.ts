import { isNoScriptError } from "../lua-script.js";
import type { LuaScript, RedisConnection, RedisNodeHandle, Topology } from "./redis-connection.js";

interface ScriptOptions {
  keys: string[];
  arguments: string[];
}

interface NodeRedisMulti {
  evalSha(sha1: string, options: ScriptOptions): NodeRedisMulti;
  eval(script: string, options: ScriptOptions): NodeRedisMulti;
  wait(replicas: number, timeoutMs: number): NodeRedisMulti;
  execAsPipeline(): Promise<unknown[]>;
}

/**
 * The part of a node-redis (v5/v6) client, Sentinel or cluster that sessionkit calls. Structural, so the
 * app's own client type (with its modules and scripts generics) is accepted as it is.
 */
export interface NodeRedisClient {
  get(key: string): Promise<unknown>;
  hGetAll(key: string): Promise<unknown>;
  evalSha(sha1: string, options: ScriptOptions): Promise<unknown>;
  eval(script: string, options: ScriptOptions): Promise<unknown>;
  del(key: string): Promise<unknown>;
  sendCommand(...args: never[]): Promise<unknown>;
}

interface NodeRedisClusterParts {
  masters: Array<{ address: string }>;
  nodeClient(node: { address: string }): Promise<{ sendCommand(args: string[]): Promise<unknown> }>;
  multi(routing?: string): NodeRedisMulti;
}

export function isNodeRedisClient(client: object): client is NodeRedisClient {
  return typeof (client as { hGetAll?: unknown }).hGetAll === "function";
}

function topologyOf(client: NodeRedisClient): Topology {
  if (typeof (client as { nodeClient?: unknown }).nodeClient === "function") return "cluster";
  if (typeof (client as { getMasterNode?: unknown }).getMasterNode === "function") return "sentinel";
  return "standalone";
}

/** Reads from replicas only when the app built its client that way (cluster `useReplicas`, Sentinel `replicaPoolSize`). */
export function nodeRedisConnection(
  client: NodeRedisClient,
  options: { readsFromReplicas: boolean },
): RedisConnection {
  const topology = topologyOf(client);
  // A Sentinel client's sendCommand takes (isReadonly, args): false sends the command to the primary.
  const call =
    topology === "sentinel"
      ? (args: readonly string[]) =>
          (client.sendCommand as unknown as (readonly: boolean, a: string[]) => Promise<unknown>).call(
            client,
            false,
            [...args],
          )
      : (args: readonly string[]) =>
          (client.sendCommand as unknown as (a: string[]) => Promise<unknown>).call(client, [...args]);

  return {
    topology,
    readsFromReplicas: options.readsFromReplicas,
    async get(key) {
      const value = await client.get(key);
      return value === null || typeof value === "string" ? value : String(value);
    },
    async runScript(script: LuaScript, keys, args) {
      const scriptOptions = { keys: [...keys], arguments: [...args] };
      try {
        return await client.evalSha(script.sha1, scriptOptions);
      } catch (error) {
        if (!isNoScriptError(error)) throw error;
        return client.eval(script.source, scriptOptions);
      }
    },
    async runScriptAndWait(script, keys, args, ack) {
      const scriptOptions = { keys: [...keys], arguments: [...args] };
      // In a cluster the transaction object is routed by a key: the script's key, so WAIT reaches its primary.
      const multi = () =>
        (client as unknown as NodeRedisClusterParts).multi(topology === "cluster" ? keys[0] : undefined);
      try {
        const [reply, acknowledged] = await multi()
          .evalSha(script.sha1, scriptOptions)
          .wait(ack.replicas, ack.timeoutMs)
          .execAsPipeline();
        return [reply, Number(acknowledged)];
      } catch (error) {
        if (!isNoScriptError(error) && !isNoScriptError((error as { replies?: unknown[] }).replies?.[0]))
          throw error;
        const [reply, acknowledged] = await multi()
          .eval(script.source, scriptOptions)
          .wait(ack.replicas, ack.timeoutMs)
          .execAsPipeline();
        return [reply, Number(acknowledged)];
      }
    },
    async del(key) {
      await client.del(key);
    },
    async command(key, args) {
      if (topology !== "cluster") return call(args);
      const cluster = client as unknown as {
        sendCommand(firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>;
      };
      return cluster.sendCommand(key, false, [...args]);
    },
    async primaries() {
      if (topology !== "cluster") return [{ address: "primary", call }];
      const cluster = client as unknown as NodeRedisClusterParts;
      return Promise.all(
        cluster.masters.map(async (master): Promise<RedisNodeHandle> => {
          const node = await cluster.nodeClient(master);
          return { address: master.address, call: (args) => node.sendCommand([...args]) };
        }),
      );
    },
    // The app's own client: its errors are the app's to listen to (a listener added here would change what
    // an unlistened node-redis error does).
    lastError: () => undefined,
    // A node-redis client is always the app's own: the app connects and closes it.
    async close() {},
  };
}
