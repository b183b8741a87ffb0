import { EventEmitter } from "node:events";
import { createDiagnosticReporter, type DiagnosticSink } from "../../common/diagnostics.js";
import { SessionCodecError, SessionStoreError } from "../../common/errors.js";
import { connectRedis } from "../../redis/connection/connect.js";
import type { LuaScript, RedisConnection } from "../../redis/connection/redis-connection.js";
import type { KeyLayout } from "../../redis/key-layout.js";
import { scanKeys } from "../../redis/scan-keys.js";
import { withTimeout } from "../../redis/with-timeout.js";
import { hashSessionId } from "../../session/session-id.js";
import { type Callback, withCallback } from "./callbacks.js";
import { expressSessionStoreMethods } from "./express-session-base.js";
import { destroyScript, getScript, setScript, touchScript } from "./scripts.js";
import { sessionTtlMs, type TtlOption } from "./session-ttl.js";
import { type RedisStoreOptions, resolveStoreOptions } from "./store-options.js";
import type { ListedSession, Serializer, StoredSession } from "./types.js";

/** Prefix of the ids that ids() and all() give for sessionkit's records: the keyId, not the ID. */
export const HANDLE_PREFIX = "sha256:";
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

interface ReadRecord {
  raw: string;
  session: StoredSession;
}

interface ListedKey {
  key: string;
  id: string;
}

/**
 * A store for express-session and @fastify/session, built like connect-redis's (a drop-in for it) and
 * keeping sessionkit's rules where the whole-object Store API lets it. Its keys (redis/key-layout.ts):
 *
 *   <keyPrefix>:<namespace>:es:{<keyId>}       STRING, the serialised session, always with a TTL
 *   <keyPrefix>:<namespace>:es-gone:{<keyId>}  STRING "1", written by destroy(), TTL tombstoneTtl
 *
 * where the keyId is the whole SHA-256 of the session ID (43 base64url characters). The ID is never
 * stored, so a Redis dump, replica or backup cannot be turned into cookies. A destroyed ID keeps a
 * tombstone for a while, so a slow request that saves after logout does not bring the session back.
 * Every call is bounded by commandTimeout. What express-session's design still decides: each save
 * writes the whole object (two parallel requests that change different keys: the last one wins).
 *
 * The store emits no "disconnect" event on purpose: express-session then skips the session and the
 * request goes on without `req.session`. A Redis failure is an error with status 503 instead.
 */
export class RedisStore extends EventEmitter {
  readonly commandTimeoutMs: number;
  readonly #keys: KeyLayout;
  readonly #legacyPrefix: string | undefined;
  readonly #ttl: TtlOption;
  readonly #disableTouch: boolean;
  readonly #serializer: Serializer;
  readonly #scanCount: number;
  readonly #tombstoneTtlMs: number;
  readonly #connection: Promise<RedisConnection>;
  readonly #report: DiagnosticSink;

  constructor(options: RedisStoreOptions) {
    super();
    const resolved = resolveStoreOptions(options);
    this.#keys = resolved.keys;
    this.#legacyPrefix = resolved.legacyPrefix;
    this.#ttl = resolved.ttl;
    this.#disableTouch = resolved.disableTouch;
    this.#serializer = resolved.serializer;
    this.#scanCount = resolved.scanCount;
    this.commandTimeoutMs = resolved.commandTimeoutMs;
    this.#tombstoneTtlMs = resolved.tombstoneTtlMs;
    this.#report = createDiagnosticReporter({ onDiagnostic: options.onDiagnostic, logger: options.logger });
    // The connection's errors (a wrong password, a DNS typo) are logged, not only published.
    this.#connection = connectRedis(resolved.redis, {
      commandTimeoutMs: this.commandTimeoutMs,
      report: this.#report,
    });
    // A bad client surfaces on first use as well; this keeps it from being an unhandled rejection.
    this.#connection.catch(() => {});
  }

  /** The Redis key of a session ID (for operators; the ID itself is never stored). */
  keyOf(sid: string): string {
    return this.#recordKey(hashSessionId(sid));
  }

  /**
   * The session saved under `sid`, or null. `S` is the caller's session type (express-session's
   * SessionData, @fastify/session's Session): the store hands back what the caller saved.
   */
  get<S = StoredSession>(sid: string): Promise<S | null>;
  get<S = StoredSession>(sid: string, callback: Callback<S | null>): void;
  get<S = StoredSession>(sid: string, callback?: Callback<S | null>): Promise<S | null> | undefined {
    return withCallback(this.#get(sid) as Promise<S | null>, callback);
  }

  set(sid: string, session: StoredSession): Promise<void>;
  set(sid: string, session: StoredSession, callback: Callback<void>): void;
  set(sid: string, session: StoredSession, callback?: Callback<void>): Promise<void> | undefined {
    return withCallback(this.#set(sid, session), callback);
  }

  /**
   * Records the new expiry of an unmodified session (its cookie and the TTL); never creates a record (a
   * touch after logout or expiry is a no-op). Like set(), it writes the whole session: the last writer wins.
   */
  touch(sid: string, session: StoredSession): Promise<void>;
  touch(sid: string, session: StoredSession, callback: Callback<void>): void;
  touch(sid: string, session: StoredSession, callback?: Callback<void>): Promise<void> | undefined {
    return withCallback(this.#touch(sid, session), callback);
  }

  /** Deletes a session by its ID, or by an id from ids()/all(), and refuses late writes for it. */
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: Callback<void>): void;
  destroy(sid: string, callback?: Callback<void>): Promise<void> | undefined {
    return withCallback(this.#destroy(sid), callback);
  }

  /**
   * The ids of every session of the namespace (and connect-redis's, while its prefix is read). For a
   * sessionkit record that is `sha256:<keyId>`, not the session ID, which is stored nowhere: enough
   * to destroy() the session, useless as a cookie. A connect-redis record gives its raw ID, as before.
   */
  ids(): Promise<string[]>;
  ids(callback: Callback<string[]>): void;
  ids(callback?: Callback<string[]>): Promise<string[]> | undefined {
    return withCallback(this.#ids(), callback);
  }

  /** Every session, each with `id` as ids() gives it. Built from sessions(), one SCAN batch at a time. */
  all<S extends object = StoredSession>(): Promise<ListedSession<S>[]>;
  all<S extends object = StoredSession>(callback: Callback<ListedSession<S>[]>): void;
  all<S extends object = StoredSession>(
    callback?: Callback<ListedSession<S>[]>,
  ): Promise<ListedSession<S>[]> | undefined {
    return withCallback(this.#all<S>(), callback);
  }

  length(): Promise<number>;
  length(callback: Callback<number>): void;
  length(callback?: Callback<number>): Promise<number> | undefined {
    return withCallback(
      this.#ids().then((ids) => ids.length),
      callback,
    );
  }

  /** Destroys every session of the namespace (and connect-redis's), batch by batch, with tombstones. */
  clear(): Promise<void>;
  clear(callback: Callback<void>): void;
  clear(callback?: Callback<void>): Promise<void> | undefined {
    return withCallback(this.#clear(), callback);
  }

  /**
   * Every session, streamed: one SCAN batch in memory at a time, for listings too large for all(). Per
   * SCAN's guarantee a session may come twice if Redis rehashes during the walk.
   */
  async *sessions<S extends object = StoredSession>(): AsyncGenerator<ListedSession<S>> {
    for await (const batch of this.#listKeys()) {
      const read = await Promise.all(batch.map(({ key }) => this.#read(key, { removeBad: false })));
      for (const [index, record] of read.entries()) {
        const id = batch[index]?.id;
        if (record && id !== undefined) yield Object.assign(record.session as S, { id });
      }
    }
  }

  /** Closes the Redis connection the store opened for a URL; a client handed in stays open. */
  async close(): Promise<void> {
    const connection = await this.#connection.catch(() => undefined);
    await connection?.close();
  }

  // express-session's own Store methods: they build its Session and Cookie objects.
  regenerate(req: object, callback: (error?: unknown) => void): void {
    expressSessionStoreMethods().regenerate.call(this, req, callback);
  }

  load<S = StoredSession>(sid: string, callback: (error: unknown, session?: S) => void): void {
    expressSessionStoreMethods().load.call(
      this,
      sid,
      callback as (error: unknown, session?: unknown) => void,
    );
  }

  /** Returns express-session's Session; typed by the caller because its type lives in express-session. */
  createSession<S = StoredSession>(req: object, session: StoredSession): S {
    return expressSessionStoreMethods().createSession.call(this, req, session) as S;
  }

  async #get(sid: string): Promise<StoredSession | null> {
    const keyId = hashSessionId(sid);
    const record = await this.#read(this.#recordKey(keyId), { removeBad: true, keyId });
    if (record !== null) return record.session;
    if (this.#legacyPrefix === undefined) return null;
    const legacyKey = this.#legacyPrefix + sid;
    const legacy = await this.#read(legacyKey, { removeBad: true, keyId });
    return legacy === null ? null : this.#moveLegacy(keyId, legacyKey, legacy);
  }

  /**
   * Moves a connect-redis record under its keyId, so the read-through costs one extra GET per
   * session, once. If the session was destroyed in between, the tombstone refuses the copy and the
   * session is gone. A failed move leaves the record where it was, for the next request to move.
   */
  async #moveLegacy(keyId: string, legacyKey: string, legacy: ReadRecord): Promise<StoredSession | null> {
    const ttlMs = sessionTtlMs(legacy.session, this.#ttl, Date.now());
    // Expired by its cookie: express-session destroys it on sight.
    if (ttlMs <= 0) return legacy.session;
    try {
      const written = await this.#runScript("session write", setScript, keyId, [
        legacy.raw,
        String(Math.ceil(ttlMs)),
      ]);
      if (Number(written) === 0) return null;
      await this.#del(legacyKey);
    } catch {
      // Still readable where it is.
    }
    return legacy.session;
  }

  async #set(sid: string, session: StoredSession): Promise<void> {
    const ttlMs = sessionTtlMs(session, this.#ttl, Date.now());
    if (ttlMs <= 0) return this.#destroy(sid);
    const value = this.#serialize(session);
    const keyId = hashSessionId(sid);
    const written = await this.#runScript("session write", setScript, keyId, [
      value,
      String(Math.ceil(ttlMs)),
    ]);
    if (Number(written) === 0) {
      this.#report({
        code: "SESSION_GONE_BEFORE_COMMIT",
        message: "session was destroyed before this save; save dropped",
        keyId,
      });
    }
  }

  async #touch(sid: string, session: StoredSession): Promise<void> {
    if (this.#disableTouch) return;
    const ttlMs = sessionTtlMs(session, this.#ttl, Date.now());
    if (ttlMs <= 0) return this.#destroy(sid);
    await this.#runScript("touch", touchScript, hashSessionId(sid), [
      this.#serialize(session),
      String(Math.ceil(ttlMs)),
    ]);
  }

  #serialize(session: StoredSession): string {
    try {
      return this.#serializer.stringify(session);
    } catch (error) {
      throw new SessionCodecError("the session could not be serialised", error);
    }
  }

  async #destroy(sid: string): Promise<void> {
    const listedKeyId = keyIdOfListedId(sid);
    const keyId = listedKeyId ?? hashSessionId(sid);
    await Promise.all([
      this.#runScript("destroy", destroyScript, keyId, [String(this.#tombstoneTtlMs)]),
      listedKeyId === undefined && this.#legacyPrefix !== undefined
        ? this.#del(this.#legacyPrefix + sid)
        : undefined,
    ]);
  }

  async #ids(): Promise<string[]> {
    const ids = new Set<string>();
    for await (const batch of this.#listKeys()) for (const { id } of batch) ids.add(id);
    return [...ids];
  }

  async #all<S extends object>(): Promise<ListedSession<S>[]> {
    const byId = new Map<string, ListedSession<S>>();
    for await (const session of this.sessions<S>()) byId.set(session.id, session);
    return [...byId.values()];
  }

  async #clear(): Promise<void> {
    for await (const batch of this.#listKeys()) await Promise.all(batch.map(({ id }) => this.#destroy(id)));
  }

  /** Keys of sessionkit's records, then of connect-redis's, with the id each is listed under. */
  async *#listKeys(): AsyncGenerator<ListedKey[]> {
    const connection = await this.#connection;
    const scan = (pattern: string) =>
      scanKeys(connection, pattern, { timeoutMs: this.commandTimeoutMs, batchSize: this.#scanCount });
    const records = this.#keys.expressSessionPrefix;
    for await (const keys of scan(`${records}*`)) {
      // "<records>{<keyId>}" -> "sha256:<keyId>"
      yield keys.map((key) => ({ key, id: HANDLE_PREFIX + key.slice(records.length + 1, -1) }));
    }
    const legacy = this.#legacyPrefix;
    if (legacy === undefined) return;
    for await (const keys of scan(`${escapeGlob(legacy)}*`)) {
      yield keys.map((key) => ({ key, id: key.slice(legacy.length) }));
    }
  }

  /**
   * GET and decode one record. Bad data is no session (a value that does not parse, is not a session, or
   * is not a string): null, and on the request path the record is removed, never a 500 for ever.
   */
  async #read(key: string, options: { removeBad: boolean; keyId?: string }): Promise<ReadRecord | null> {
    let raw: unknown;
    try {
      raw = await this.#withConnection("GET", (c) => c.runScript(getScript, [key], []));
    } catch (error) {
      if (!(error instanceof SessionStoreError && /WRONGTYPE/.test(error.message))) throw error;
      raw = undefined;
    }
    if (raw === null) return null;
    const session = typeof raw === "string" ? await this.#decode(raw) : null;
    if (session !== null) return { raw: raw as string, session };
    if (options.removeBad) {
      this.#report({
        code: "SESSION_RECORD_CORRUPT",
        message: "session record does not decode; removed",
        keyId: options.keyId,
      });
      await this.#del(key).catch(() => {});
    }
    return null;
  }

  async #decode(raw: string): Promise<StoredSession | null> {
    let parsed: unknown;
    try {
      parsed = await this.#serializer.parse(raw);
    } catch {
      return null;
    }
    // express-session and @fastify/session both read session.cookie at once: without it, a 500.
    const cookie = (parsed as { cookie?: unknown } | null)?.cookie;
    return typeof parsed === "object" && cookie !== null && typeof cookie === "object"
      ? (parsed as StoredSession)
      : null;
  }

  #runScript(operation: string, script: LuaScript, keyId: string, args: string[]): Promise<unknown> {
    return this.#withConnection(operation, (c) =>
      c.runScript(script, [this.#recordKey(keyId), this.#tombstoneKey(keyId)], args),
    );
  }

  #del(key: string): Promise<void> {
    return this.#withConnection("DEL", (c) => c.del(key));
  }

  async #withConnection<T>(operation: string, call: (connection: RedisConnection) => Promise<T>): Promise<T> {
    const connection = await this.#connection;
    return withTimeout(operation, this.commandTimeoutMs, () => call(connection), connection.lastError);
  }

  #recordKey(keyId: string): string {
    return this.#keys.expressSessionKey(keyId);
  }

  #tombstoneKey(keyId: string): string {
    return this.#keys.expressSessionTombstoneKey(keyId);
  }
}

function keyIdOfListedId(id: string): string | undefined {
  if (!id.startsWith(HANDLE_PREFIX)) return undefined;
  const keyId = id.slice(HANDLE_PREFIX.length);
  return KEY_ID_PATTERN.test(keyId) ? keyId : undefined;
}

/** SCAN MATCH is a glob: a prefix like "app[1]:" must match itself only. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
