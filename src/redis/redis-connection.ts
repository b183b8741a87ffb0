/**
 * The narrow seam between the store and a Redis client: only the commands sessionkit sends. Each
 * supported client (ioredis, node-redis) gets a small adapter, so the store and its Lua scripts are
 * written once and pass the same contract tests on every client.
 */
export interface LuaScript {
  readonly source: string;
  /** SHA-1 of the source, for EVALSHA. */
  readonly sha1: string;
}

export interface RedisConnection {
  hgetall(key: string): Promise<Record<string, string>>;
  /**
   * Runs a script by EVALSHA and falls back to EVAL on NOSCRIPT: script caches are per node and not
   * replicated, so the first call after a restart or failover always misses.
   */
  runScript(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  del(key: string): Promise<void>;
  /** Closes the client when sessionkit created it; a no-op for a client the app handed in. */
  close(): Promise<void>;
}
