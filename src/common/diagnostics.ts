import { channel } from "node:diagnostics_channel";

/**
 * Things worth knowing that are not errors for the request: a tampered cookie, a corrupt record that was
 * removed, an expired session, a Redis reconnect. Published on the `sessionkit:diagnostic` channel
 * (node:diagnostics_channel, no dependency) and passed to the `onDiagnostic` option. Never carries a
 * session ID: at most its keyId.
 */
export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  /** The session's keyId (what its Redis key holds: a hash of the ID), when one is involved. */
  keyId?: string;
  /** @deprecated The same value as keyId (its name before 0.2). */
  keyHash?: string;
}

export type DiagnosticCode =
  | "SESSION_COOKIE_INVALID"
  | "SESSION_NOT_FOUND"
  | "SESSION_RECORD_CORRUPT"
  | "SESSION_EXPIRED_IDLE"
  | "SESSION_EXPIRED_ABSOLUTE"
  | "SESSION_GONE_BEFORE_COMMIT"
  | "SESSION_COOKIE_RENEWED"
  | "SESSION_STORE_FAILED_OPEN"
  | "SESSION_COMMIT_FAILED"
  | "SESSION_ROTATION_INCOMPLETE"
  | "SESSION_TOUCH_FAILED"
  | "SESSION_REPLICA_LAG"
  | "SESSION_REDIS_CONFIG_WARNING"
  | "SESSION_CONFIG_WARNING"
  | "SESSION_MIGRATION_SERVED"
  | "SESSION_MIGRATION_IMPORTED"
  | "SESSION_MIGRATION_DIVERGED"
  | "SESSION_MIGRATION_LEGACY_INVALID"
  | "SESSION_MIGRATION_SKIPPED"
  | "SESSION_REDIS_CONNECTION_ERROR";

export const diagnosticChannel = channel("sessionkit:diagnostic");

export function publishDiagnostic(diagnostic: Diagnostic): void {
  if (diagnosticChannel.hasSubscribers) diagnosticChannel.publish(diagnostic);
}

/** Where a part's diagnostics go: the channel, the app's onDiagnostic, the log. */
export type DiagnosticSink = (diagnostic: Diagnostic) => void;

/** What the `logger` option takes: console, pino, winston and the like fit it. */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The diagnostics that mean something is wrong with the deployment, and the level they are logged at.
 * The others (a stale or tampered cookie, an expiry) are the traffic of a working app: published, not
 * logged.
 */
const LOG_LEVELS: Partial<Record<DiagnosticCode, "warn" | "error">> = {
  SESSION_REDIS_CONNECTION_ERROR: "error",
  SESSION_COMMIT_FAILED: "error",
  SESSION_STORE_FAILED_OPEN: "error",
  SESSION_TOUCH_FAILED: "warn",
  SESSION_ROTATION_INCOMPLETE: "warn",
  SESSION_REDIS_CONFIG_WARNING: "warn",
  SESSION_CONFIG_WARNING: "warn",
  SESSION_MIGRATION_DIVERGED: "warn",
  SESSION_MIGRATION_SKIPPED: "warn",
  SESSION_REPLICA_LAG: "warn",
  SESSION_RECORD_CORRUPT: "warn",
};

/** A cause is logged at most once per this interval; the lines it would have written are counted. */
const LOG_INTERVAL_MS = 60_000;
const MAX_CAUSES = 1000;

/**
 * Publishes every diagnostic on the channel, hands it to `onDiagnostic`, and logs the ones that say the
 * deployment is wrong, one line per cause per minute (a Redis that refuses the password fails many times
 * a second). `logger: false` logs nothing.
 */
export function createDiagnosticReporter(options: {
  onDiagnostic?: ((diagnostic: Diagnostic) => void) | undefined;
  logger?: Logger | false | undefined;
  now?: () => number;
}): DiagnosticSink {
  const logger = options.logger === undefined ? console : options.logger;
  const now = options.now ?? Date.now;
  const causes = new Map<string, { loggedAt: number; suppressed: number }>();
  return (diagnostic) => {
    publishDiagnostic(diagnostic);
    options.onDiagnostic?.(diagnostic);
    const level = LOG_LEVELS[diagnostic.code];
    if (logger === false || level === undefined) return;
    // Numbers (ports, counts, ms) vary between lines of one cause.
    const cause = `${diagnostic.code} ${diagnostic.message.replace(/\d+/g, "#")}`;
    const at = now();
    const seen = causes.get(cause);
    if (seen !== undefined && at - seen.loggedAt < LOG_INTERVAL_MS) {
      seen.suppressed++;
      return;
    }
    if (causes.size >= MAX_CAUSES && seen === undefined) causes.clear();
    const more = seen?.suppressed ? ` (and ${seen.suppressed} more like it in the last minute)` : "";
    causes.set(cause, { loggedAt: at, suppressed: 0 });
    logger[level](`[sessionkit] ${diagnostic.code}: ${diagnostic.message}${more}`);
  };
}
