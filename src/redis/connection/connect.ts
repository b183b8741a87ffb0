import type { ConnectionOptions as TlsOptions } from "node:tls";
import type { DiagnosticSink } from "../../common/diagnostics.js";
import { SessionConfigError } from "../../common/errors.js";
import { createIoredisClients } from "./create-ioredis.js";
import {
  type IoredisClient,
  ioredisConnection,
  isIoredisClient,
  isIoredisCluster,
} from "./ioredis-connection.js";
import { isNodeRedisClient, type NodeRedisClient, nodeRedisConnection } from "./node-redis-connection.js";
import type { RedisConnection } from "./redis-connection.js";
import { parseRedisUrl } from "./redis-url.js";

/**
 * A Redis URL (see redis-url.ts for the schemes), or a client the app already has: ioredis, iovalkey
 * (ioredis's fork for Valkey: the same API, its types declared apart) or node-redis.
 */
export type RedisOption = string | IoredisClient | IovalkeyClient | NodeRedisClient;

type IovalkeyClient = import("iovalkey").Redis | import("iovalkey").Cluster;

export interface ConnectOptions {
  commandTimeoutMs: number;
  /** Serve session reads from replicas (writes always go to primaries). Default false. */
  replicaReads?: boolean;
  /** Where the errors of the clients sessionkit creates go (the channel by default). */
  report?: DiagnosticSink;
  /** TLS settings for a rediss:// URL: ca, cert, key, servername, rejectUnauthorized (node:tls). */
  tls?: TlsOptions;
}

/** Throws a SessionConfigError when `url` is not a Redis URL sessionkit can use. */
export function validateRedisUrl(url: string): void {
  parseRedisUrl(url);
}

/**
 * Resolves the `redis` option into a connection. For a URL, sessionkit creates ioredis clients with the
 * settings rule 9 needs; a client handed in is used as the app configured it (the store still bounds
 * every command by its own timeout).
 */
export async function connectRedis(
  redis: RedisOption,
  connectOptions: ConnectOptions,
): Promise<RedisConnection> {
  const options = { replicaReads: false, ...connectOptions };
  if (typeof redis === "string") {
    const clients = await createIoredisClients(parseRedisUrl(redis), options);
    return ioredisConnection({ ...clients, owned: true });
  }
  if (redis !== null && typeof redis === "object") {
    if (isNodeRedisClient(redis))
      return nodeRedisConnection(redis, { readsFromReplicas: options.replicaReads });
    if (isIoredisClient(redis)) {
      const clusterReadsReplicas = isIoredisCluster(redis) && redis.options.scaleReads !== "master";
      return ioredisConnection({
        writer: redis,
        readsFromReplicas: options.replicaReads || clusterReadsReplicas,
        owned: false,
      });
    }
  }
  throw new SessionConfigError(
    "redis must be a redis://, rediss://, redis+sentinel:// or redis+cluster:// URL, an ioredis client (Redis or Cluster) or a node-redis client",
  );
}
