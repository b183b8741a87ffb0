import {
  createDiagnosticReporter,
  type Diagnostic,
  type DiagnosticSink,
  type Logger,
} from "../common/diagnostics.js";
import { ErrorCodes, SessionConfigError, SessionError, SessionStoreError } from "../common/errors.js";
import { connectRedis, type RedisOption } from "../redis/connection/connect.js";
import type { LuaScript, RedisConnection } from "../redis/connection/redis-connection.js";
import { withTimeout } from "../redis/with-timeout.js";

export interface ForeignSessionsOptions {
  /** A Redis URL or a client (as for the session manager); sessionkit's connection handling applies. */
  redis: RedisOption;
  /** Bound of every Redis call. Default 2000. */
  commandTimeoutMs?: number;
  /** How many times a write re-reads and tries again when the other app wrote in between. Default 20. */
  maxRetries?: number;
  /** Largest record sessionkit writes, in bytes; a change past it is refused whole (413). Default 1 MiB. */
  maxRecordBytes?: number;
  onDiagnostic?: (diagnostic: Diagnostic) => void;
  logger?: Logger | false;
}

/** The Redis side of a foreign-session kind: its settings, one connection opened on first use, bounded calls. */
export interface ForeignRedis {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxRecordBytes: number;
  readonly report: DiagnosticSink;
  /** One call on the connection, failing after the timeout with an honest store error (DESIGN rule 9). */
  call<T>(what: string, run: (redis: RedisConnection) => Promise<T>): Promise<T>;
  /** A script on one key (call() of runScript). */
  script(what: string, lua: LuaScript, key: string, args: readonly string[]): Promise<unknown>;
  /**
   * Runs `attempt` (read, then a conditional write) until it lands. It answers 1 written, -1 gone (the
   * session is not brought back), 0 changed meanwhile by the other app or another Node request: then it
   * runs again after a short random pause, so that writers in a tight race do not keep colliding, at most
   * maxRetries more times. True when written, false when gone.
   */
  untilWritten(sessionKind: string, attempt: () => Promise<WriteOutcome>): Promise<boolean>;
  /**
   * A stored session decoded, or undefined when it is corrupt or over the limits: reported as
   * SESSION_RECORD_CORRUPT and treated as no session (DESIGN rule 10), never an error of the request.
   */
  decodedOrNone<T>(sessionKind: string, decode: () => T): T | undefined;
  /** Closes the connection if one was opened (a client handed in stays open). */
  close(): Promise<void>;
}

/** What a conditional write of a session did: written, changed meanwhile, or gone. */
export type WriteOutcome = 1 | 0 | -1;

export function openForeignRedis(options: ForeignSessionsOptions): ForeignRedis {
  const timeoutMs = options.commandTimeoutMs ?? 2000;
  if (!(timeoutMs > 0)) throw new SessionConfigError("commandTimeoutMs must be positive");
  const report = createDiagnosticReporter({ onDiagnostic: options.onDiagnostic, logger: options.logger });
  const maxRetries = options.maxRetries ?? 20;
  let connection: Promise<RedisConnection> | undefined;
  const call = async <T>(what: string, run: (redis: RedisConnection) => Promise<T>): Promise<T> => {
    connection ??= connectRedis(options.redis, { commandTimeoutMs: timeoutMs, report });
    const redis = await connection;
    return withTimeout(
      what,
      timeoutMs,
      () => run(redis),
      () => redis.lastError(),
    );
  };
  return {
    timeoutMs,
    maxRetries,
    maxRecordBytes: options.maxRecordBytes ?? 1024 * 1024,
    report,
    call,
    script: (what, lua, key, args) => call(what, (redis) => redis.runScript(lua, [key], args)),
    async untilWritten(sessionKind, attempt) {
      for (let round = 0; round <= maxRetries; round++) {
        const outcome = await attempt();
        if (outcome !== 0) return outcome === 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * (round + 1)));
      }
      throw new SessionStoreError(
        ErrorCodes.STORE_UNAVAILABLE,
        `a ${sessionKind} session changed under ${maxRetries + 1} writes in a row: gave up`,
      );
    },
    decodedOrNone(sessionKind, decode) {
      try {
        return decode();
      } catch (error) {
        if (!(error instanceof SessionError)) throw error;
        report({
          code: "SESSION_RECORD_CORRUPT",
          message: `a ${sessionKind} session that does not decode: ${error.message}`,
        });
        return undefined;
      }
    },
    async close() {
      if (connection) await (await connection).close();
    },
  };
}
