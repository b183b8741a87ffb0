import type { ValueCodec } from "../codecs/value-codec.js";
import type { Duration } from "../common/duration.js";
import { ErrorCodes, SessionError } from "../common/errors.js";
import type { RedisConnection } from "../redis/connection/redis-connection.js";
import type { KeyLayout } from "../redis/key-layout.js";
import { withTimeout } from "../redis/with-timeout.js";
import { legacyImportWrite } from "../session/legacy-import.js";
import type { LegacySession } from "../session/legacy-source.js";
import { resolveSessionConfig, type SessionManagerOptions } from "../session/session-options.js";
import type { SessionStore } from "../store/session-store.js";
import { pacedScan, perKey, type ScanPacing, type ScanPosition } from "./paced-scan.js";

export interface ConnectRedisConversionOptions extends ScanPacing {
  /** connect-redis's `prefix`: its records are `<prefix><express-session ID>`. Default "sess:". */
  prefix?: string;
  /**
   * The sessionkit app's secret(s), as given to session(): the first derives each converted session's ID
   * exactly as the app's imports do (`migrate: { from: expressSession(...) }`), so the app finds it.
   */
  secret: SessionManagerOptions["secret"];
  /** The app's idleTimeout. Default "1d" (the library's). */
  idleTimeout?: Duration;
  /** The app's absoluteTimeout. Default "14d" (the library's). */
  absoluteTimeout?: Duration;
  /** The app's codec. Default typed JSON (the library's). */
  codec?: ValueCodec;
  /** Count what a run would do, write nothing. */
  dryRun?: boolean;
}

export interface ConnectRedisConversionReport {
  /** Keys SCAN returned (a key may come twice while a table is being resized: it then counts as already converted). */
  scanned: number;
  /** Native records written (in a dry run: that would be written). */
  converted: number;
  /** Records found already there (an earlier run, or the app imported the session on a request): left as they are. */
  alreadyConverted: number;
  skipped: {
    /** The legacy session had ended (cookie.expires passed, or the key expired meanwhile). */
    expired: number;
    /** Not a connect-redis record: not JSON, not an object, not a string key. */
    unreadable: number;
    /** Over the library's maxSessionBytes / maxAttributes: a request would refuse it too. */
    tooLarge: number;
    /** No attributes besides express-session's cookie: a request stores nothing for it either. */
    empty: number;
    /** The key moved to another cluster node during the scan (a resharding): run again to pick it up. */
    moved: number;
  };
  dryRun: boolean;
  elapsedMs: number;
  /** Stopped by the signal before the end. */
  interrupted: boolean;
  /** Where a stopped run goes on (ScanPacing.resume); null when it is complete or stopped before a batch. */
  resume: ScanPosition | null;
}

/** The source name imports are derived under (migrate/express-session.ts `expressSession(...).name`). */
const SOURCE = "express-session";

/**
 * Converts every connect-redis record (`<prefix><id>`, express-session's JSON with its `cookie`) into the
 * native record a request importing it through `expressSession(...)` would write (session/legacy-import.ts):
 * the same derived ID, data and deadlines, so the app's express-session cookies then load the converted
 * sessions without importing again. On every primary, one paced batch at a time; the TTL is never longer
 * than the legacy key's, nor the deadlines than its cookie.expires or absoluteTimeout. Writes are
 * creates: a record already there is counted and never overwritten, so a second run (or a resumed one)
 * converts nothing twice. Legacy keys are left as they are (the app's sessionkit-only stage ends them).
 */
export async function convertConnectRedis(
  connection: RedisConnection,
  store: SessionStore,
  keys: KeyLayout,
  timeoutMs: number,
  options: ConnectRedisConversionOptions,
): Promise<ConnectRedisConversionReport> {
  const startedAt = performance.now();
  const prefix = options.prefix ?? "sess:";
  const config = resolveSessionConfig({
    secret: options.secret,
    logger: false,
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
    ...(options.absoluteTimeout === undefined ? {} : { absoluteTimeout: options.absoluteTimeout }),
    ...(options.codec === undefined ? {} : { codec: options.codec }),
  });
  const dryRun = options.dryRun ?? false;
  const report: ConnectRedisConversionReport = {
    scanned: 0,
    converted: 0,
    alreadyConverted: 0,
    skipped: { expired: 0, unreadable: 0, tooLarge: 0, empty: 0, moved: 0 },
    dryRun,
    elapsedMs: 0,
    interrupted: false,
    resume: null,
  };
  let position: ScanPosition | null = options.resume ?? null;
  const pacing: ScanPacing = {
    ...options,
    onProgress: (progress) => {
      position = progress.resume;
      options.onProgress?.(progress);
    },
  };
  const explain = connection.lastError;
  try {
    for await (const batch of pacedScan(connection, `${globEscape(prefix)}*`, timeoutMs, pacing)) {
      report.scanned += batch.keys.length;
      const [values, ttls] = await Promise.all([
        perKey(batch, (key) => ["GET", key], timeoutMs, explain),
        perKey(batch, (key) => ["PTTL", key], timeoutMs, explain),
      ]);
      const now = config.now();
      const writes: Promise<void>[] = [];
      let failed: Error | undefined;
      batch.keys.forEach((key, i) => {
        const value = values[i];
        const ttl = ttls[i];
        const failure = value instanceof Error ? value : ttl instanceof Error ? ttl : undefined;
        if (failure !== undefined) {
          if (/^(MOVED|ASK)\b/.test(failure.message)) report.skipped.moved++;
          else if (/^WRONGTYPE\b/.test(failure.message)) report.skipped.unreadable++;
          else failed ??= failure;
          return;
        }
        if (value === null || ttl === -2) {
          report.skipped.expired++;
          return;
        }
        const legacy = typeof value === "string" ? legacySessionOf(key.slice(prefix.length), value) : null;
        if (legacy === null) {
          report.skipped.unreadable++;
          return;
        }
        if (legacy.expiresAt !== undefined && legacy.expiresAt <= now) {
          report.skipped.expired++;
          return;
        }
        let imported: ReturnType<typeof legacyImportWrite>;
        try {
          imported = legacyImportWrite(config, SOURCE, legacy, now);
        } catch (error) {
          if (error instanceof SessionError && error.code === ErrorCodes.TOO_LARGE) report.skipped.tooLarge++;
          else report.skipped.unreadable++;
          return;
        }
        if (imported === null) {
          report.skipped.empty++;
          return;
        }
        const { keyId, write } = imported;
        // Never longer than the legacy key would have lived (connect-redis's TTL: the cookie's expiry, or
        // its ttl option for a browser-session cookie).
        if (typeof ttl === "number" && ttl > 0) write.ttlMs = Math.min(write.ttlMs, ttl);
        writes.push(
          (dryRun ? exists(connection, keys.sessionKey(keyId), timeoutMs) : store.write(keyId, write)).then(
            (outcome) => {
              if (outcome === "exists") report.alreadyConverted++;
              else report.converted++;
            },
          ),
        );
      });
      // Every write of the batch settles before a failure is reported: its counts are then exact.
      const settled = await Promise.allSettled(writes);
      const rejected = settled.find((result) => result.status === "rejected");
      if (failed !== undefined) throw failed;
      if (rejected !== undefined) throw rejected.reason;
    }
  } catch (error) {
    if (!options.signal?.aborted || error !== options.signal.reason) throw error;
    report.interrupted = true;
  }
  report.resume = report.interrupted ? position : null;
  report.elapsedMs = Math.round(performance.now() - startedAt);
  return report;
}

/**
 * A connect-redis record as expressSession(...) reads it (migrate/express-session.ts): JSON, an object,
 * express-session's `cookie` beside the attributes, the expiry from cookie.expires. null when it is not.
 */
export function legacySessionOf(id: string, stored: string): LegacySession | null {
  let body: unknown;
  try {
    body = JSON.parse(stored);
  } catch {
    return null;
  }
  if (id === "" || body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const { cookie, ...data } = body as Record<string, unknown>;
  const cookieObject =
    cookie !== null && typeof cookie === "object" ? (cookie as Record<string, unknown>) : {};
  const expires = typeof cookieObject.expires === "string" ? Date.parse(cookieObject.expires) : Number.NaN;
  return Number.isFinite(expires) ? { identity: id, data, expiresAt: expires } : { identity: id, data };
}

async function exists(
  connection: RedisConnection,
  key: string,
  timeoutMs: number,
): Promise<"exists" | "absent"> {
  const found = await withTimeout(
    "EXISTS",
    timeoutMs,
    () => connection.command(key, ["EXISTS", key]),
    connection.lastError,
  );
  return Number(found) === 1 ? "exists" : "absent";
}

/** A prefix as a SCAN MATCH glob that matches it literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
