import type { Diagnostic, Logger } from "../../common/diagnostics.js";
import { type Duration, toMilliseconds } from "../../common/duration.js";
import { SessionConfigError } from "../../common/errors.js";
import { type RedisOption, validateRedisUrl } from "../../redis/connection/connect.js";
import { createKeyLayout, DEFAULT_KEY_PREFIX, type KeyLayout } from "../../redis/key-layout.js";
import { DEFAULT_TTL_SECONDS, type TtlOption } from "./session-ttl.js";
import type { Serializer } from "./types.js";

/** Where the sessions live: a client, as with connect-redis, or a URL. */
export type RedisStoreConnection =
  | {
      /** An ioredis client (Redis or Cluster) or a node-redis client or cluster, as with connect-redis. */
      client: Exclude<RedisOption, string>;
      redis?: undefined;
    }
  | {
      /** A Redis URL (redis://, rediss://, redis+sentinel://, redis+cluster://) or a client. */
      redis: RedisOption;
      client?: undefined;
    };

export type RedisStoreOptions = RedisStoreConnection & RedisStoreSettings;

export interface RedisStoreSettings {
  /** Separates apps sharing one Redis: clear(), all() and length() cover one namespace. Default "default". */
  namespace?: string;
  /** First segment of every key. Default "sk", as for sessionkit's own sessions. */
  keyPrefix?: string;
  /**
   * Where connect-redis kept sessions (its own `prefix` option): a session not found under sessionkit's
   * keys is read from `<prefix><sid>` and moved over, so switching stores logs nobody out. Default
   * "sess:", connect-redis's default. `false` once the longest connect-redis TTL has passed.
   */
  prefix?: string | false;
  /** TTL in seconds when the cookie has no expiry, or a function of the session. Default 86400. */
  ttl?: TtlOption;
  /** Not supported: every key has a TTL. Present so that a connect-redis config that sets it fails loudly. */
  disableTTL?: false;
  /** Make touch() a no-op (no write for unmodified sessions; the TTL then only moves on saves). */
  disableTouch?: boolean;
  /** How sessions become strings; JSON by default, as with connect-redis. */
  serializer?: Serializer;
  /** SCAN COUNT for all(), ids(), length() and clear(). Default 100. */
  scanCount?: number;
  /** Every Redis call fails after this long. Default 1000 ms. */
  commandTimeout?: Duration;
  /** How long a destroyed ID refuses late writes. Default "5m" (Node's default request timeout). */
  tombstoneTtl?: Duration;
  /**
   * Where the diagnostics that say the deployment is wrong (Redis unreachable or refusing) are logged,
   * one line per cause per minute. Default console; false: nothing is logged.
   */
  logger?: Logger | false;
  /** Called for every diagnostic of this store, also published on the `sessionkit:diagnostic` channel. */
  onDiagnostic?: (diagnostic: Diagnostic) => void;
}

const DEFAULT_LEGACY_PREFIX = "sess:";
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_TOMBSTONE_TTL_MS = 300_000;
const DEFAULT_SCAN_COUNT = 100;

/** The store's options with their defaults, checked at construction (SessionConfigError). */
export interface ResolvedStoreOptions {
  redis: RedisOption;
  keys: KeyLayout;
  legacyPrefix: string | undefined;
  ttl: TtlOption;
  disableTouch: boolean;
  serializer: Serializer;
  scanCount: number;
  commandTimeoutMs: number;
  tombstoneTtlMs: number;
}

export function resolveStoreOptions(options: RedisStoreOptions): ResolvedStoreOptions {
  if (options === null || typeof options !== "object") throw new SessionConfigError("options are required");
  const redis = resolveRedisOption(options);
  if (typeof redis === "string") validateRedisUrl(redis);
  if ((options as { disableTTL?: unknown }).disableTTL) {
    throw new SessionConfigError("disableTTL is not supported: every session key has a TTL");
  }
  const keys = createKeyLayout(options.keyPrefix ?? DEFAULT_KEY_PREFIX, options.namespace ?? "default");
  const scanCount = options.scanCount ?? DEFAULT_SCAN_COUNT;
  if (!Number.isInteger(scanCount) || scanCount <= 0)
    throw new SessionConfigError("scanCount must be a positive integer");
  return {
    redis,
    keys,
    legacyPrefix: resolveLegacyPrefix(options.prefix, keys.expressSessionPrefix),
    ttl: resolveTtl(options.ttl),
    disableTouch: options.disableTouch ?? false,
    serializer: options.serializer ?? JSON,
    scanCount,
    commandTimeoutMs: positiveMs(options.commandTimeout, DEFAULT_COMMAND_TIMEOUT_MS, "commandTimeout"),
    tombstoneTtlMs: positiveMs(options.tombstoneTtl, DEFAULT_TOMBSTONE_TTL_MS, "tombstoneTtl"),
  };
}

function resolveRedisOption(options: RedisStoreOptions): RedisOption {
  if (options.client !== undefined && options.redis !== undefined)
    throw new SessionConfigError("give either client or redis, not both");
  const redis = options.client ?? options.redis;
  if (redis === undefined || redis === null)
    throw new SessionConfigError("client (an ioredis or node-redis client) or redis (a URL) is required");
  return redis;
}

function resolveLegacyPrefix(prefix: string | false | undefined, recordPrefix: string): string | undefined {
  if (prefix === false) return undefined;
  const legacy = prefix ?? DEFAULT_LEGACY_PREFIX;
  // An empty prefix would make clear() walk, and destroy, the whole database.
  if (typeof legacy !== "string" || legacy === "")
    throw new SessionConfigError(
      "prefix must be a non-empty string, or false to stop reading connect-redis keys",
    );
  if (recordPrefix.startsWith(legacy))
    throw new SessionConfigError(`prefix ${JSON.stringify(legacy)} would also match sessionkit's own keys`);
  return legacy;
}

function resolveTtl(ttl: TtlOption | undefined): TtlOption {
  if (ttl === undefined || typeof ttl === "function") return ttl ?? DEFAULT_TTL_SECONDS;
  if (!Number.isFinite(ttl) || ttl <= 0)
    throw new SessionConfigError("ttl must be a number of seconds greater than 0, or a function");
  return ttl;
}

function positiveMs(value: Duration | undefined, fallback: number, name: string): number {
  const ms = value === undefined ? fallback : toMilliseconds(value, name);
  if (ms <= 0) throw new SessionConfigError(`${name} must be greater than 0`);
  return ms;
}
