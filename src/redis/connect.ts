import { publishDiagnostic } from "../core/diagnostics.js";
import { SessionConfigError } from "../core/errors.js";
import { type IoredisClient, ioredisConnection, isIoredisClient } from "./ioredis-connection.js";
import { isNodeRedisClient, type NodeRedisClient, nodeRedisConnection } from "./node-redis-connection.js";
import type { RedisConnection } from "./redis-connection.js";

/** A Redis URL (`redis://`, `rediss://`), or a client the app already has (ioredis or node-redis). */
export type RedisOption = string | IoredisClient | NodeRedisClient;

export interface ConnectOptions {
  commandTimeoutMs: number;
}

/**
 * Resolves the `redis` option into a connection. For a URL, sessionkit creates an ioredis client with
 * the settings rule 9 needs; a client handed in is used as configured by the app (the store still
 * bounds every command by its own timeout).
 */
export async function connectRedis(redis: RedisOption, options: ConnectOptions): Promise<RedisConnection> {
  if (typeof redis === "string")
    return ioredisConnection(await createIoredisClient(redis, options), { owned: true });
  if (redis !== null && typeof redis === "object") {
    if (isNodeRedisClient(redis)) return nodeRedisConnection(redis);
    if (isIoredisClient(redis)) return ioredisConnection(redis, { owned: false });
  }
  throw new SessionConfigError(
    "redis must be a redis:// or rediss:// URL, an ioredis client (Redis or Cluster) or a node-redis client",
  );
}

export function validateRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SessionConfigError(
      "redis is not a valid URL (expected redis://host:port[/db] or rediss://...)",
    );
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new SessionConfigError(
      `redis URL scheme ${parsed.protocol} is not supported (use redis:// or rediss://)`,
    );
  }
}

async function createIoredisClient(url: string, options: ConnectOptions): Promise<IoredisClient> {
  validateRedisUrl(url);
  let Redis: typeof import("ioredis").Redis;
  try {
    ({ Redis } = await import("ioredis"));
  } catch (error) {
    throw new SessionConfigError(
      `a Redis URL needs the ioredis package: npm install ioredis (${(error as Error).message})`,
    );
  }
  const client = new Redis(url, {
    // Fail fast instead of queueing while disconnected: a request must never wait on an offline queue.
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(options.commandTimeoutMs, 2000),
    // Keep reconnecting for ever with a capped backoff: recovery needs no restart.
    retryStrategy: (attempt) => Math.min(attempt * 50, 1000),
    enableAutoPipelining: true,
  });
  // Without a listener ioredis prints "Unhandled error event" on every failed reconnect attempt.
  client.on("error", (error: Error) =>
    publishDiagnostic({ code: "SESSION_REDIS_CONNECTION_ERROR", message: error.message }),
  );
  return client;
}
