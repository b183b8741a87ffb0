import { publishDiagnostic } from "../../core/diagnostics.js";
import { SessionConfigError } from "../../core/errors.js";
import { connectRedis, type RedisOption, validateRedisUrl } from "../../redis/connect.js";
import { ioredisConnection } from "../../redis/ioredis-connection.js";
import type { RedisConnection } from "../../redis/redis-connection.js";
import { createKeyScanner, type KeyScanner } from "./key-scanner.js";

/** What the store sends commands through: the core's seam for key commands, plus a keyspace scan. */
export interface StoreConnection {
  commands: RedisConnection;
  scan: KeyScanner;
  close(): Promise<void>;
}

export async function openStoreConnection(redis: RedisOption, timeoutMs: number): Promise<StoreConnection> {
  if (typeof redis === "string") {
    const client = await createIoredisClient(redis, timeoutMs);
    const commands = ioredisConnection(client, { owned: true });
    return { commands, scan: createKeyScanner(client, timeoutMs), close: () => commands.close() };
  }
  const commands = await connectRedis(redis, { commandTimeoutMs: timeoutMs });
  return { commands, scan: createKeyScanner(redis, timeoutMs), close: () => commands.close() };
}

/**
 * The client sessionkit creates for a URL, with the core's settings (src/redis/connect.ts): no offline
 * queue, so no call waits on one while Redis is down, and reconnection for ever with a capped backoff.
 * Created here rather than by connectRedis because the store also needs the client itself, to SCAN.
 */
async function createIoredisClient(url: string, timeoutMs: number) {
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
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(timeoutMs, 2000),
    retryStrategy: (attempt) => Math.min(attempt * 50, 1000),
    enableAutoPipelining: true,
  });
  client.on("error", (error: Error) =>
    publishDiagnostic({ code: "SESSION_REDIS_CONNECTION_ERROR", message: error.message }),
  );
  return client;
}
