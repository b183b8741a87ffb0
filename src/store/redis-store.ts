import { type Duration, toMilliseconds } from "../core/duration.js";
import { SessionConfigError, SessionStoreError } from "../core/errors.js";
import { connectRedis, type RedisOption, validateRedisUrl } from "../redis/connect.js";
import type { RedisConnection } from "../redis/redis-connection.js";
import { withTimeout } from "../redis/with-timeout.js";
import { createKeyLayout, type KeyLayout } from "./key-layout.js";
import { writeSessionScript } from "./redis-scripts.js";
import type { SessionStore, SessionWrite, StoredFields, WriteOutcome } from "./session-store.js";

export interface RedisStoreOptions {
  /** A redis:// or rediss:// URL, or an ioredis / node-redis client the app already has. */
  redis: RedisOption;
  /** Separates apps sharing one Redis (rule 14). Default "default". */
  namespace?: string;
  /** First segment of every key. Default "sessionkit". */
  keyPrefix?: string;
  /** Every Redis call fails after this long (rule 9). Default 1000 ms. */
  commandTimeout?: Duration;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

/**
 * Sessions as Redis hashes: a read is one HGETALL, a change is one EVALSHA of writeSessionScript that
 * writes only the changed fields and the TTL together. See store/key-layout.ts for the keys.
 */
export class RedisStore implements SessionStore {
  readonly keys: KeyLayout;
  readonly commandTimeoutMs: number;
  readonly #connection: Promise<RedisConnection>;

  constructor(options: RedisStoreOptions) {
    this.keys = createKeyLayout(options.keyPrefix ?? "sessionkit", options.namespace ?? "default");
    this.commandTimeoutMs = toMilliseconds(
      options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
      "commandTimeout",
    );
    if (this.commandTimeoutMs <= 0) throw new SessionConfigError("commandTimeout must be greater than 0");
    if (typeof options.redis === "string") validateRedisUrl(options.redis);
    this.#connection = connectRedis(options.redis, { commandTimeoutMs: this.commandTimeoutMs });
    // A bad client option surfaces on first use as well; this keeps it from being an unhandled rejection.
    this.#connection.catch(() => {});
  }

  async load(keyHash: string): Promise<StoredFields | null> {
    const connection = await this.#connection;
    let fields: Record<string, string>;
    try {
      fields = await withTimeout("HGETALL", this.commandTimeoutMs, () =>
        connection.hgetall(this.keys.sessionKey(keyHash)),
      );
    } catch (error) {
      // Something that is not a hash sits under the key: bad data, not an outage (rule 8).
      if (error instanceof SessionStoreError && /WRONGTYPE/.test(error.message)) return {};
      throw error;
    }
    // HGETALL answers an empty hash for a missing key; Redis never keeps an empty hash.
    return Object.keys(fields).length === 0 ? null : fields;
  }

  async write(keyHash: string, write: SessionWrite): Promise<WriteOutcome> {
    const args = [write.mode, String(Math.max(1, Math.ceil(write.ttlMs))), String(write.set.length)];
    for (const [field, value] of write.set) args.push(field, value);
    args.push(...write.remove);
    const connection = await this.#connection;
    const outcome = await withTimeout("session write", this.commandTimeoutMs, () =>
      connection.runScript(writeSessionScript, [this.keys.sessionKey(keyHash)], args),
    );
    return outcome as WriteOutcome;
  }

  async remove(keyHash: string): Promise<void> {
    const connection = await this.#connection;
    await withTimeout("DEL", this.commandTimeoutMs, () => connection.del(this.keys.sessionKey(keyHash)));
  }

  async close(): Promise<void> {
    const connection = await this.#connection.catch(() => undefined);
    await connection?.close();
  }
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
