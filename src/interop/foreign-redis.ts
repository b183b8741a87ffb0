import {
  createDiagnosticReporter,
  type Diagnostic,
  type DiagnosticSink,
  type Logger,
} from "../common/diagnostics.js";
import { SessionConfigError } from "../common/errors.js";
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
  /** Closes the connection if one was opened (a client handed in stays open). */
  close(): Promise<void>;
}

export function openForeignRedis(options: ForeignSessionsOptions): ForeignRedis {
  const timeoutMs = options.commandTimeoutMs ?? 2000;
  if (!(timeoutMs > 0)) throw new SessionConfigError("commandTimeoutMs must be positive");
  const report = createDiagnosticReporter({ onDiagnostic: options.onDiagnostic, logger: options.logger });
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
    maxRetries: options.maxRetries ?? 20,
    maxRecordBytes: options.maxRecordBytes ?? 1024 * 1024,
    report,
    call,
    script: (what, lua, key, args) => call(what, (redis) => redis.runScript(lua, [key], args)),
    async close() {
      if (connection) await (await connection).close();
    },
  };
}
