/**
 * The narrow seam between the store and a Redis client: only the commands sessionkit sends. Each
 * supported client (ioredis, node-redis) gets a small adapter, so the store and its Lua scripts are
 * written once and pass the same contract tests on every client and topology.
 */
export interface LuaScript {
  readonly source: string;
  /** SHA-1 of the source, for EVALSHA. */
  readonly sha1: string;
}

export type Topology = "standalone" | "sentinel" | "cluster";

/** One primary node, for checks and admin scans (a cluster has several). */
export interface RedisNodeHandle {
  /** host:port, for messages. */
  readonly address: string;
  call(args: readonly string[]): Promise<unknown>;
}

/** WAIT after a write: how many replicas must acknowledge it, and for how long to wait. */
export interface ReplicaAck {
  replicas: number;
  timeoutMs: number;
}

export interface RedisConnection {
  readonly topology: Topology;
  /** True when session reads (get) are served by replicas (replica reads on). */
  readonly readsFromReplicas: boolean;
  /** GET on the client that serves session reads (a replica's with replica reads on). */
  get(key: string): Promise<string | null>;
  /**
   * Runs a script by EVALSHA and falls back to EVAL on NOSCRIPT: script caches are per node and not
   * replicated, so the first call after a restart or failover always misses.
   */
  runScript(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /**
   * The same, followed by WAIT on the same connection in one round trip (WAIT counts the replicas that
   * have every write this connection sent). Answers the script's reply and the number of acknowledgements.
   */
  runScriptAndWait(
    script: LuaScript,
    keys: readonly string[],
    args: readonly string[],
    ack: ReplicaAck,
  ): Promise<[reply: unknown, acknowledged: number]>;
  del(key: string): Promise<void>;
  /** Any command; `key` routes it in a cluster (the command's first key). */
  command(key: string, args: readonly string[]): Promise<unknown>;
  /** The one primary of standalone and Sentinel, every master of a cluster. */
  primaries(): Promise<RedisNodeHandle[]>;
  /**
   * The last error of the connection since it was last ready (undefined while it works): why commands
   * fail or time out while it is down (WRONGPASS, ECONNREFUSED, a TLS error), for honest messages.
   */
  lastError(): Error | undefined;
  /** Closes the clients sessionkit created; a client the app handed in stays open. */
  close(): Promise<void>;
}
