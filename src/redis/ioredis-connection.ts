import type { Cluster, Redis } from "ioredis";
import { isNoScriptError } from "./lua-script.js";
import type { LuaScript, RedisConnection } from "./redis-connection.js";

export type IoredisClient = Redis | Cluster;

export function isIoredisClient(client: object): client is IoredisClient {
  return typeof (client as { hgetall?: unknown }).hgetall === "function";
}

/**
 * Wraps an ioredis client (standalone or Cluster). When sessionkit created the client it disabled the
 * offline queue (a command sent while Redis is down fails at once instead of hanging, DESIGN rule 9),
 * so the first commands wait here for the initial connection instead of failing during start-up.
 */
export function ioredisConnection(client: IoredisClient, options: { owned: boolean }): RedisConnection {
  const firstReady: Promise<void> =
    client.status === "ready"
      ? Promise.resolve()
      : new Promise((resolve) => client.once("ready", () => resolve()));
  let everReady = client.status === "ready";
  void firstReady.then(() => {
    everReady = true;
  });
  const ready = (): Promise<void> | undefined => (everReady ? undefined : firstReady);

  return {
    async hgetall(key) {
      await ready();
      return client.hgetall(key);
    },
    async runScript(script: LuaScript, keys, args) {
      await ready();
      try {
        return await client.evalsha(script.sha1, keys.length, ...keys, ...args);
      } catch (error) {
        if (!isNoScriptError(error)) throw error;
        return client.eval(script.source, keys.length, ...keys, ...args);
      }
    },
    async del(key) {
      await ready();
      await client.del(key);
    },
    async close() {
      if (options.owned) await client.quit().catch(() => client.disconnect());
    },
  };
}
