import { isNoScriptError } from "./lua-script.js";
import type { LuaScript, RedisConnection } from "./redis-connection.js";

/**
 * The part of a node-redis (v5/v6) client or cluster that sessionkit calls. Structural, so the app's own
 * client type (with its modules and scripts generics) is accepted as it is.
 */
export interface NodeRedisClient {
  hGetAll(key: string): Promise<unknown>;
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

export function isNodeRedisClient(client: object): client is NodeRedisClient {
  return typeof (client as { hGetAll?: unknown }).hGetAll === "function";
}

export function nodeRedisConnection(client: NodeRedisClient): RedisConnection {
  return {
    async hgetall(key) {
      return toStringRecord(await client.hGetAll(key));
    },
    async runScript(script: LuaScript, keys, args) {
      const options = { keys: [...keys], arguments: [...args] };
      try {
        return await client.evalSha(script.sha1, options);
      } catch (error) {
        if (!isNoScriptError(error)) throw error;
        return client.eval(script.source, options);
      }
    },
    async del(key) {
      await client.del(key);
    },
    // A node-redis client is always the app's own: the app connects and closes it.
    async close() {},
  };
}

/** RESP2 gives a plain object, RESP3 (node-redis 6's default) may give a Map, depending on type mapping. */
function toStringRecord(reply: unknown): Record<string, string> {
  if (reply instanceof Map) {
    const record: Record<string, string> = {};
    for (const [field, value] of reply) record[String(field)] = String(value);
    return record;
  }
  return (reply ?? {}) as Record<string, string>;
}
