import type { DiagnosticSink } from "./common/diagnostics.js";
import { type Duration, toMilliseconds } from "./common/duration.js";
import { SessionConfigError } from "./common/errors.js";
import { RedisEventLog } from "./events/event-log.js";
import { createPrincipalSessions } from "./principals/principal-sessions.js";
import type { RedisOption } from "./redis/connection/connect.js";
import {
  isRedisBackedStore,
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from "./redis/redis-session-store.js";
import { warnAboutForeignOptions } from "./session/foreign-options.js";
import { SessionManager } from "./session/session-manager.js";
import {
  COOKIE_OPTION_NAMES,
  MANAGER_OPTION_NAMES,
  resolveSessionConfig,
  type SessionManagerOptions,
} from "./session/session-options.js";
import { isPrincipalIndexStore, type SessionStore } from "./store/session-store.js";

export interface SessionOptions extends SessionManagerOptions {
  /** A redis:// or rediss:// URL, or an ioredis / node-redis client. One of `redis` or `store` is required. */
  redis?: RedisOption;
  /** A store instance instead of `redis` (e.g. `createMemoryStore()` in unit tests). */
  store?: SessionStore;
  /** Separates apps sharing one Redis. Default "default". */
  namespace?: string;
  /** First segment of every Redis key. Default "sk". */
  keyPrefix?: string;
  /** Every Redis call fails after this long. Default 1000 ms. */
  commandTimeout?: Duration;
  /** Serve session reads from replicas; writes then WAIT for a replica (read-your-writes). Default false. */
  replicaReads?: boolean;
  /** Count a write only once this many replicas have it (WAIT); else 503 SESSION_STORE_NOT_DURABLE. */
  durability?: { replicas: number; timeout?: Duration };
  /** TLS for a rediss:// URL: ca, cert, key, servername, rejectUnauthorized (node:tls options). */
  tls?: RedisSessionStoreOptions["tls"];
  /**
   * Session events (created, regenerated, destroyed, expired) in a Redis stream, with an expiry schedule
   * swept by every app instance (no keyspace notifications needed). Needs a Redis store. Off when absent.
   */
  events?: {
    /** Put the session's last attributes into destroyed and expired events. Default false. */
    includeData?: boolean;
    /** How often this instance looks for expired sessions. Default "1s". false: never (another instance does). */
    sweepInterval?: Duration | false;
    /** How long an expired record is kept past its deadline so its event can carry the data. Default "5m". */
    retainExpired?: Duration;
    /** Stream entries kept (approximately). Default 100 000. */
    maxLength?: number;
  };
}

const OPTION_NAMES: ReadonlySet<string> = new Set(
  Object.keys({
    ...MANAGER_OPTION_NAMES,
    redis: true,
    store: true,
    namespace: true,
    keyPrefix: true,
    commandTimeout: true,
    replicaReads: true,
    durability: true,
    tls: true,
    events: true,
  } satisfies Record<keyof SessionOptions, true>),
);

/** The sweeper never runs more often than this, whatever events.sweepInterval says. */
const MIN_SWEEP_INTERVAL_MS = 50;

/**
 * The composition root: the only module that knows every part. It resolves the options, builds the
 * store (a RedisSessionStore from `redis`, or the app's `store`), and gives the manager the principal
 * index and the event log when the store can carry them.
 */
export function createSessionManager(options: SessionOptions): SessionManager {
  const config = resolveSessionConfig(options);
  warnAboutForeignOptions(options, OPTION_NAMES, COOKIE_OPTION_NAMES, config.report);
  const store = resolveStore(options, config.report);
  const events = options.events ? openEventLog(store, options.events, config.idleTimeoutMs) : undefined;
  const principals = isPrincipalIndexStore(store)
    ? createPrincipalSessions({ store, events, idleTimeoutMs: config.idleTimeoutMs, now: config.now })
    : undefined;
  return new SessionManager(config, {
    store,
    ...(events ? { events } : {}),
    ...(principals ? { principals } : {}),
  });
}

function resolveStore(options: SessionOptions, report: DiagnosticSink): SessionStore {
  if (options.store && options.redis !== undefined)
    throw new SessionConfigError("give either redis or store, not both");
  if (options.store) {
    const store = options.store as Partial<SessionStore>;
    if (typeof store.load !== "function" || typeof store.write !== "function") {
      throw new SessionConfigError(
        "store must be a sessionkit store (createMemoryStore(), RedisSessionStore); for Redis pass redis: url. An express-session store (connect-redis) is not one: keep it with express-session, or move its sessions with sessionkit/express-session",
      );
    }
    return options.store;
  }
  if (options.redis === undefined) {
    throw new SessionConfigError("redis (a URL or a client) or store is required");
  }
  return new RedisSessionStore({
    redis: options.redis,
    namespace: options.namespace,
    keyPrefix: options.keyPrefix,
    commandTimeout: options.commandTimeout,
    replicaReads: options.replicaReads,
    durability: options.durability,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    report,
  });
}

function openEventLog(
  store: SessionStore,
  events: NonNullable<SessionOptions["events"]>,
  idleTimeoutMs: number,
): RedisEventLog {
  if (!isRedisBackedStore(store))
    throw new SessionConfigError("events need a Redis store (the redis option)");
  const interval = events.sweepInterval ?? "1s";
  return new RedisEventLog(store.redis, {
    maxLength: events.maxLength ?? 100_000,
    includeData: events.includeData ?? false,
    idleTimeoutMs,
    retainExpiredMs: toMilliseconds(events.retainExpired ?? "5m", "events.retainExpired"),
    sweepIntervalMs:
      interval === false
        ? undefined
        : Math.max(MIN_SWEEP_INTERVAL_MS, toMilliseconds(interval, "events.sweepInterval")),
  });
}
