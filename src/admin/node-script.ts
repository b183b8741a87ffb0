import type { LuaScript, RedisNodeHandle } from "../redis/connection/redis-connection.js";
import { isNoScriptError } from "../redis/lua-script.js";

/**
 * EVALSHA on one node, EVAL when that node's script cache lacks it (caches are per node and not
 * replicated: the first call on each primary, and after a restart or failover, misses).
 */
export async function callScriptOn(
  node: RedisNodeHandle,
  script: LuaScript,
  keys: readonly string[],
): Promise<unknown> {
  try {
    return await node.call(["EVALSHA", script.sha1, String(keys.length), ...keys]);
  } catch (error) {
    if (!isNoScriptError(error)) throw error;
    return node.call(["EVAL", script.source, String(keys.length), ...keys]);
  }
}
