import { channel } from "node:diagnostics_channel";
import { Gauge, type Registry, register } from "prom-client";
import { createSessionAdmin } from "../admin/session-admin.js";
import type { Diagnostic } from "../common/diagnostics.js";
import { type Duration, toMilliseconds } from "../common/duration.js";
import type { SessionManager } from "../session/session-manager.js";
import { observeSessions, type SessionObserver } from "../session/session-observers.js";
import { DurationHistogram } from "./duration-histogram.js";
import { migrationTallies } from "./migration-metrics.js";
import { CachedStats } from "./store-gauges.js";
import { Tally } from "./tally.js";

export interface MetricsOptions {
  /**
   * Where the metrics are registered. Default prom-client's global `register`. The metric names are
   * fixed: a second manager of the process needs a registry of its own (prom-client refuses a name twice).
   */
  registry?: Registry;
  /**
   * The gauges sessionkit_sessions and sessionkit_memory_bytes come from a scan of the namespace (the
   * admin API's stats); it runs at most once per this interval, counted from the end of the last scan.
   * Default "5m"; 0 scans on every scrape (tests).
   */
  gaugeInterval?: Duration;
  /** How long a scrape waits for a scan it started, then answers with the last figures. Default 2 s. */
  gaugeScrapeWait?: Duration;
  /** Sessions per primary whose MEMORY USAGE the scan measures. Default 100. */
  memorySample?: number;
}

export interface MetricsRegistration {
  readonly registry: Registry;
  /** Unsubscribes, restores the event log, removes sessionkit's metrics from the registry. */
  unregister(): void;
}

/** Timing of a store call: where a request's session work waits on Redis. */
const DURATION_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Label values: a fixed set each, so a series count never grows with traffic (no IDs, principals, URLs). */
const STORE_ERROR_CODES = new Set([
  "SESSION_STORE_TIMEOUT",
  "SESSION_STORE_UNAVAILABLE",
  "SESSION_STORE_UNREACHABLE",
  "SESSION_STORE_AUTH",
  "SESSION_STORE_PERMISSION",
  "SESSION_STORE_TLS",
  "SESSION_STORE_OUT_OF_MEMORY",
  "SESSION_STORE_READ_ONLY",
  "SESSION_STORE_NOT_DURABLE",
]);
const DESTROY_REASONS = new Set(["logout", "revoked"]);
const EXPIRY_REASONS = new Set(["idle", "absolute", "ttl"]);
/** A load outcome that refused the cookie the browser sent, by why. */
const REJECTED_COOKIE: Partial<Record<string, string>> = {
  invalid_cookie: "invalid_signature",
  gone: "unknown_session",
  expired: "expired",
  corrupt: "corrupt",
};

const diagnosticChannel = channel("sessionkit:diagnostic");

/**
 * Prometheus metrics of one SessionManager: the end of each of its loads and commits (an observer on the
 * manager, with the context the tracing channels carry, but without their per-request machinery), the
 * events it publishes (when events are on), and the admin API's stats for the gauges. Its cost on a
 * request is in bench/README.md.
 */
export function registerMetrics(manager: SessionManager, options: MetricsOptions = {}): MetricsRegistration {
  const registry = options.registry ?? register;
  const registers = [registry];
  const loads = new Tally({
    name: "sessionkit_session_loads_total",
    help: "Session loads by result (found, none, invalid_cookie, gone, expired, corrupt, failed_open, error).",
    label: "result",
    registers,
  });
  const commits = new Tally({
    name: "sessionkit_session_commits_total",
    help: "Session commits that reached the store, by kind (create, rotate, update, touch, destroy).",
    label: "kind",
    registers,
  });
  const storeErrors = new Tally({
    name: "sessionkit_store_errors_total",
    help: "Store failures of session loads and commits, by error code (SESSION_STORE_*).",
    label: "code",
    registers,
  });
  const durations = new DurationHistogram({
    name: "sessionkit_store_command_duration_seconds",
    help: "Time a request's session work waited on the store, by kind (read, create, rotate, update, touch, destroy).",
    label: "kind",
    buckets: DURATION_BUCKETS_SECONDS,
    registers,
  });
  const created = new Tally({
    name: "sessionkit_sessions_created_total",
    help: "Sessions created (stored for the first time) by this process.",
    registers,
  });
  const destroyed = new Tally({
    name: "sessionkit_sessions_destroyed_total",
    help: "Sessions ended by this process, by reason (logout, revoked).",
    label: "reason",
    registers,
  });
  const expired = new Tally({
    name: "sessionkit_sessions_expired_total",
    help: "Sessions this process found past a deadline and reported (events on), by reason (idle, absolute, ttl).",
    label: "reason",
    registers,
  });
  const rejected = new Tally({
    name: "sessionkit_cookies_rejected_total",
    help: "Session cookies that named no usable session, by reason (invalid_signature, unknown_session, expired, corrupt).",
    label: "reason",
    registers,
  });
  const failOpen = new Tally({
    name: "sessionkit_fail_open_total",
    help: "Requests served an anonymous session because the store failed (failurePolicy open).",
    registers,
  });
  const replicaLag = new Tally({
    name: "sessionkit_replica_lag_total",
    help: "Replica reads that missed a session the primary had (every manager of the process).",
    registers,
  });
  const cached = new CachedStats(createSessionAdmin({ store: manager.store }), {
    intervalMs: toMilliseconds(options.gaugeInterval ?? "5m", "gaugeInterval"),
    scrapeWaitMs: toMilliseconds(options.gaugeScrapeWait ?? "2s", "gaugeScrapeWait"),
    memorySample: options.memorySample ?? 100,
  });
  const sessions = new Gauge({
    name: "sessionkit_sessions",
    help: "Live session records in the namespace (from a scan, cached for gaugeInterval).",
    registers,
    async collect() {
      const reading = await cached.read();
      if (reading) this.set(reading.sessions);
    },
  });
  const memory = new Gauge({
    name: "sessionkit_memory_bytes",
    help: "Redis memory of the namespace's session records, extrapolated from a sample (cached for gaugeInterval).",
    registers,
    async collect() {
      // Collected in the same turn as the sessions gauge: both wait on the one scan under way.
      const reading = await cached.read();
      if (reading) this.set(reading.bytes);
    },
  });

  const countStoreError = (error: unknown) => {
    const code = (error as { code?: unknown } | null)?.code;
    storeErrors.add(typeof code === "string" && STORE_ERROR_CODES.has(code) ? code : "other");
  };

  const observer: SessionObserver = {
    loadEnded(trace, ms) {
      if (trace.commands.length > 0) durations.record("read", ms / 1000);
      if (trace.error !== undefined) {
        loads.add("error");
        countStoreError(trace.error);
        return;
      }
      const outcome = trace.outcome ?? "none";
      loads.add(outcome);
      const reason = REJECTED_COOKIE[outcome];
      if (reason !== undefined) rejected.add(reason);
      if (outcome === "failed_open") {
        failOpen.add();
        countStoreError(trace.storeError);
      }
    },
    commitEnded(trace, ms) {
      if (trace.kind === "none") return;
      if (trace.commands.length > 0) durations.record(trace.kind, ms / 1000);
      if (trace.error !== undefined) {
        countStoreError(trace.error);
        return;
      }
      commits.add(trace.kind);
      // With events on, the published events count sessions (revokes and expiries included).
      if (manager.events === undefined) {
        if (trace.kind === "create") created.add();
        if (trace.kind === "destroy") destroyed.add("logout");
      }
    },
  };
  const migration = migrationTallies(registers);
  const onDiagnostic = (message: unknown) => {
    if ((message as Diagnostic).code === "SESSION_REPLICA_LAG") replicaLag.add();
    else migration.count(message as Diagnostic);
  };
  const unobserve = observeSessions(manager, observer);
  diagnosticChannel.subscribe(onDiagnostic);
  const restoreEvents = countPublishedEvents(manager, (event) => {
    const reason = event.reason ?? "";
    if (event.type === "created") created.add();
    else if (event.type === "destroyed") destroyed.add(DESTROY_REASONS.has(reason) ? reason : "other");
    else if (event.type === "expired") expired.add(EXPIRY_REASONS.has(reason) ? reason : "other");
  });

  return {
    registry,
    unregister() {
      unobserve();
      diagnosticChannel.unsubscribe(onDiagnostic);
      restoreEvents();
      cached.stop();
      const tallies = [
        loads,
        commits,
        storeErrors,
        created,
        destroyed,
        expired,
        rejected,
        failOpen,
        replicaLag,
        ...migration.tallies,
      ];
      for (const metric of [...tallies.map((tally) => tally.counter), durations, sessions, memory]) {
        registry.removeSingleMetric((metric as unknown as { name: string }).name);
      }
    },
  };
}

type PublishedEvent = { type: string; reason?: string | undefined };

/**
 * Hears the events this manager publishes (created, destroyed, expired: its sweeper's too) by wrapping its
 * event log's publish. Subscribing to the stream instead would make every instance count every instance's
 * events, and a sum over instances would multiply them. Counted once published (a failed publish is not).
 */
function countPublishedEvents(manager: SessionManager, count: (event: PublishedEvent) => void): () => void {
  const log = manager.events;
  if (log === undefined) return noop;
  const own = Object.getOwnPropertyDescriptor(log, "publish");
  const original = log.publish;
  const wrapped: typeof original = async function (this: typeof log, event, now) {
    await original.call(this, event, now);
    count(event);
  };
  Object.defineProperty(log, "publish", { value: wrapped, writable: true, configurable: true });
  return () => {
    if (log.publish !== wrapped) return;
    if (own) Object.defineProperty(log, "publish", own);
    else delete (log as { publish?: unknown }).publish;
  };
}

function noop(): void {}
