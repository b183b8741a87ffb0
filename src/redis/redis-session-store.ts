import type { ConnectionOptions as TlsOptions } from "node:tls";
import { type DiagnosticSink, publishDiagnostic } from "../common/diagnostics.js";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { ErrorCodes, SessionConfigError, SessionStoreError } from "../common/errors.js";
import { handleOf, slotTagOf } from "../store/key-id.js";
import type {
  AdminStore,
  IndexedSession,
  InspectedSession,
  PrincipalIndexStore,
  ReadyCheckStore,
  RevokeOptions,
  SessionStore,
  SessionWrite,
  StoredFields,
  StoredRecord,
  WriteOutcome,
} from "../store/session-store.js";
import { connectRedis, type RedisOption } from "./connection/connect.js";
import type { RedisConnection, ReplicaAck } from "./connection/redis-connection.js";
import { parseRedisUrl } from "./connection/redis-url.js";
import { createKeyLayout, DEFAULT_KEY_PREFIX, type KeyLayout } from "./key-layout.js";
import { escapePart, unescapeStored, unpackRecord, unpackRecordMap } from "./packed-record.js";
import { checkReady } from "./ready-check.js";
import { scanKeys } from "./scan-keys.js";
import {
  inspectSessionScript,
  LISTED_FIELDS,
  listPrincipalScript,
  removeSessionScript,
  revokePrincipalScript,
  writeSessionScript,
} from "./session-scripts.js";
import { type RedisReport, verifyRedis } from "./verify-redis.js";
import { withTimeout, withTimeoutThen } from "./with-timeout.js";

/** How the event log and admin tools reach the Redis of a store, without building a client or a key. */
export interface RedisAccess {
  readonly connection: Promise<RedisConnection>;
  readonly keys: KeyLayout;
  readonly commandTimeoutMs: number;
}

/** Capability: a store kept in Redis, whose connection the event log shares. */
export interface RedisBackedStore extends SessionStore {
  readonly redis: RedisAccess;
}

export function isRedisBackedStore(store: SessionStore): store is RedisBackedStore {
  const access = (store as Partial<RedisBackedStore>).redis;
  return typeof access === "object" && access !== null && "connection" in access && "keys" in access;
}

export interface RedisSessionStoreOptions {
  /** A Redis URL (redis://, rediss://, redis+sentinel://, redis+cluster://) or an ioredis / node-redis client. */
  redis: RedisOption;
  /** Separates apps sharing one Redis (rule 14). Default "default". */
  namespace?: string;
  /** First segment of every key. Default "sk". */
  keyPrefix?: string;
  /** Every Redis call fails after this long (rule 9). Default 1000 ms. */
  commandTimeout?: Duration;
  /**
   * Serve session reads from replicas (rule 11). Default false. Writes then wait (WAIT) until a replica
   * has them before the response leaves, so a browser reads its own writes on any app instance.
   */
  replicaReads?: boolean;
  /**
   * A write counts only once this many replicas acknowledged it (WAIT), within `timeout` (default: half
   * the command timeout); otherwise it fails with SESSION_STORE_NOT_DURABLE (503). Default: no wait.
   */
  durability?: { replicas: number; timeout?: Duration };
  /**
   * TLS settings for a rediss:// URL (node:tls options): `ca` for a private CA, `cert` and `key` for
   * client certificates, `servername` when the certificate names a host other than the URL's,
   * `rejectUnauthorized` (default true; false only for tests). A client handed in keeps its own.
   */
  tls?: TlsOptions;
  /**
   * Where the store's diagnostics go (connection errors, configuration warnings, replica lag). Default:
   * the `sessionkit:diagnostic` channel; a manager built from options gives its own (onDiagnostic, logger).
   */
  report?: DiagnosticSink;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

/**
 * Sessions as one Redis string each (redis/packed-record.ts): a read is one GET, a change is one EVALSHA
 * of writeSessionScript that merges only the changed fields into the record and sets it with its TTL.
 * See redis/key-layout.ts for the keys.
 */
export class RedisSessionStore implements PrincipalIndexStore, AdminStore, ReadyCheckStore, RedisBackedStore {
  readonly keys: KeyLayout;
  readonly commandTimeoutMs: number;
  readonly #connection: Promise<RedisConnection>;
  /** The connection once #connection has resolved: the read path then skips an await. */
  #connected: RedisConnection | undefined;
  readonly #verified: Promise<RedisReport>;
  readonly #durableReplicas: number;
  readonly #waitTimeoutMs: number;

  readonly redis: RedisAccess;
  readonly #report: DiagnosticSink;
  /** Why the connection is down, for the message of a call that fails meanwhile. */
  readonly #explain = (): Error | undefined => this.#connected?.lastError();

  constructor(options: RedisSessionStoreOptions) {
    this.keys = createKeyLayout(options.keyPrefix ?? DEFAULT_KEY_PREFIX, options.namespace ?? "default");
    this.commandTimeoutMs = toMilliseconds(
      options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
      "commandTimeout",
    );
    if (this.commandTimeoutMs <= 0) throw new SessionConfigError("commandTimeout must be greater than 0");
    if (typeof options.redis === "string") parseRedisUrl(options.redis);
    this.#durableReplicas = options.durability?.replicas ?? 0;
    this.#waitTimeoutMs = toMilliseconds(
      options.durability?.timeout ?? Math.floor(this.commandTimeoutMs / 2),
      "durability.timeout",
    );
    if (!Number.isInteger(this.#durableReplicas) || this.#durableReplicas < 0) {
      throw new SessionConfigError("durability.replicas must be a whole number >= 0");
    }
    if (this.#waitTimeoutMs >= this.commandTimeoutMs) {
      throw new SessionConfigError("durability.timeout must be shorter than commandTimeout");
    }
    this.#report = options.report ?? publishDiagnostic;
    const connecting = connectRedis(options.redis, {
      commandTimeoutMs: this.commandTimeoutMs,
      replicaReads: options.replicaReads ?? false,
      report: this.#report,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
    this.#verified = connecting.then((connection) => verifyRedis(connection, this.commandTimeoutMs));
    // Every command waits for the start-up checks once: a Redis that cannot serve fails with a clear message.
    this.#connection = this.#verified.then(async (report) => {
      for (const warning of report.warnings) {
        process.emitWarning(warning, { code: "SESSIONKIT_REDIS_CONFIG" });
        this.#report({ code: "SESSION_REDIS_CONFIG_WARNING", message: warning });
      }
      return connecting;
    });
    // A bad option surfaces on first use as well; this keeps it from being an unhandled rejection.
    this.#connection.then(
      (connection) => {
        this.#connected = connection;
      },
      () => {},
    );
    this.redis = { connection: this.#connection, keys: this.keys, commandTimeoutMs: this.commandTimeoutMs };
  }

  /**
   * The start-up checks' report (topology, maxmemory-policy per primary, warnings). Rejects with a
   * SessionConfigError when the Redis given cannot serve sessions. Await it at start-up to fail fast.
   */
  verify(): Promise<RedisReport> {
    return this.#verified;
  }

  /**
   * Waits (up to READY_TIMEOUT_MS) until Redis serves sessions: the connection is up and authenticated,
   * the commands of the request path run (GET, and the write and delete scripts, on a probe key of this
   * namespace that lives 1 s), and the start-up checks pass. Rejects with the error a request would get,
   * its code naming the cause (SESSION_STORE_AUTH, _PERMISSION with the command, _TLS, _UNREACHABLE...).
   */
  ready(): Promise<RedisReport> {
    return this.#connection.then((connection) => checkReady(connection, this.keys, this.commandTimeoutMs));
  }

  /** Every session key of this namespace, in batches, from every primary (SCAN may repeat a key). */
  async *scanSessionKeys(batchSize = 500): AsyncGenerator<string[]> {
    const connection = this.#connected ?? (await this.#connection);
    yield* scanKeys(connection, this.keys.sessionKeyPattern, { timeoutMs: this.commandTimeoutMs, batchSize });
  }

  async *scanKeyIds(batchSize = 500): AsyncGenerator<string[]> {
    for await (const keys of this.scanSessionKeys(batchSize)) {
      const keyIds: string[] = [];
      for (const key of keys) {
        const keyId = this.keys.keyIdOfSessionKey(key);
        if (keyId !== undefined) keyIds.push(keyId);
      }
      yield keyIds;
    }
  }

  async inspect(keyId: string): Promise<InspectedSession> {
    const connection = this.#connected ?? (await this.#connection);
    const key = this.keys.sessionKey(keyId);
    const [ttlMs, packed] = (await withTimeout(
      "session inspect",
      this.commandTimeoutMs,
      () => connection.runScript(inspectSessionScript, [key], []),
      this.#explain,
    )) as [number, string | null];
    const fields = typeof packed === "string" ? unpackRecord(packed) : null;
    return { keyId, location: key, ttlMs: Number(ttlMs), fields };
  }

  /**
   * Not async: the read of every request costs the GET's promise and the deadline call's, no more. Bounded
   * by our own deadline (rule 9; test/command-timeout-bound.test.ts): sessionkit's own ioredis clients
   * arm ioredis's timer only while connecting (redis/handshake-timeout.ts), and a client the app hands in
   * may have no timeout at all, or hold a command unsent (ioredis's auto-pipelining behind a hung batch,
   * node-redis while it reconnects).
   */
  load(keyId: string): Promise<StoredRecord | null> {
    const connection = this.#connected;
    if (connection === undefined) return this.#connection.then(() => this.load(keyId));
    const key = this.keys.sessionKey(keyId);
    return withTimeoutThen(
      "GET",
      this.commandTimeoutMs,
      () => connection.get(key),
      recordOfReply,
      wrongTypeAsCorrupt,
      this.#explain,
    );
  }

  async write(keyId: string, write: SessionWrite): Promise<WriteOutcome> {
    const connection = this.#connected ?? (await this.#connection);
    const replaces = write.mode === "create" ? write.replaces : undefined;
    // A script may only touch keys of one cluster slot: a replaced record in another slot (an anonymous
    // session becoming a principal's) is deleted in a second step, once the create is written.
    const inOneScript =
      replaces === undefined || connection.topology !== "cluster" || sameSlot(keyId, replaces.keyId);
    const outcome = await this.#write(connection, keyId, write, inOneScript ? replaces : undefined);
    if (outcome === "written" && replaces !== undefined && !inOneScript) {
      try {
        await this.remove(replaces.keyId, replaces.indexId);
      } catch (error) {
        this.#report({
          code: "SESSION_ROTATION_INCOMPLETE",
          message: `new session written, but its previous record could not be deleted (it expires by its TTL): ${(error as Error).message}`,
          keyId: replaces.keyId,
        });
      }
    }
    return outcome;
  }

  async #write(
    connection: RedisConnection,
    keyId: string,
    write: SessionWrite,
    replaces: SessionWrite["replaces"],
  ): Promise<WriteOutcome> {
    const keys = [this.keys.sessionKey(keyId)];
    let flags = "";
    if (write.index) {
      flags += "i";
      keys.push(this.keys.principalIndexKey(write.index.indexId));
    }
    if (replaces) {
      flags += "r";
      keys.push(this.keys.sessionKey(replaces.keyId));
      if (replaces.indexId !== undefined) {
        flags += "o";
        keys.push(this.keys.principalIndexKey(replaces.indexId));
      }
    }
    const ttlMs = String(Math.max(1, Math.ceil(write.ttlMs)));
    const member = write.index ? handleOf(keyId) : "";
    const score = write.index ? String(Math.ceil(write.index.deadline)) : "0";
    const replacedMember = replaces?.indexId === undefined ? "" : handleOf(replaces.keyId);
    const args = [flags, write.mode, ttlMs, member, score, replacedMember, String(write.set.length)];
    for (const [field, value] of write.set) args.push(escapePart(field), escapePart(value));
    for (const field of write.remove) args.push(escapePart(field));
    const wanted = Math.max(this.#durableReplicas, connection.readsFromReplicas ? 1 : 0);
    if (wanted === 0) {
      return (await withTimeout(
        "session write",
        this.commandTimeoutMs,
        () => connection.runScript(writeSessionScript, keys, args),
        this.#explain,
      )) as WriteOutcome;
    }
    const ack: ReplicaAck = { replicas: wanted, timeoutMs: this.#waitTimeoutMs };
    const [outcome, acknowledged] = await withTimeout(
      "session write + WAIT",
      this.commandTimeoutMs,
      () => connection.runScriptAndWait(writeSessionScript, keys, args, ack),
      this.#explain,
    );
    if (acknowledged < this.#durableReplicas && outcome === "written") {
      throw new SessionStoreError(
        ErrorCodes.STORE_NOT_DURABLE,
        `session write reached the primary but ${acknowledged} of ${this.#durableReplicas} replicas acknowledged it within ${ack.timeoutMs} ms`,
      );
    }
    if (acknowledged < wanted) {
      this.#report({
        code: "SESSION_REPLICA_LAG",
        message: `no replica acknowledged a session write within ${ack.timeoutMs} ms: a replica read may be stale`,
        keyId,
      });
    }
    return outcome as WriteOutcome;
  }

  async remove(keyId: string, indexId?: string): Promise<void> {
    const connection = this.#connected ?? (await this.#connection);
    const keys = [this.keys.sessionKey(keyId)];
    if (indexId !== undefined) keys.push(this.keys.principalIndexKey(indexId));
    await withTimeout(
      "session delete",
      this.commandTimeoutMs,
      () => connection.runScript(removeSessionScript, keys, [handleOf(keyId)]),
      this.#explain,
    );
  }

  async listIndexed(indexId: string, now: number, idleTimeoutMs: number): Promise<IndexedSession[]> {
    const connection = this.#connected ?? (await this.#connection);
    const reply = (await withTimeout(
      "principal list",
      this.commandTimeoutMs,
      () =>
        connection.runScript(
          listPrincipalScript,
          [this.keys.principalIndexKey(indexId)],
          [this.keys.principalSessionPrefix(indexId), String(now), String(idleTimeoutMs)],
        ),
      this.#explain,
    )) as string[];
    const sessions: IndexedSession[] = [];
    const stride = LISTED_FIELDS.length + 1;
    for (let i = 0; i + stride - 1 < reply.length; i += stride) {
      const fields: StoredFields = {};
      LISTED_FIELDS.forEach((field, n) => {
        const value = reply[i + 1 + n] && unescapeStored(reply[i + 1 + n] as string);
        if (value) fields[field] = value;
      });
      sessions.push({ handle: reply[i] as string, fields });
    }
    return sessions;
  }

  async revokeIndexed(indexId: string, options: RevokeOptions): Promise<IndexedSession[]> {
    const connection = this.#connected ?? (await this.#connection);
    const args = [
      this.keys.principalSessionPrefix(indexId),
      options.keep ?? "",
      options.withFields ? "1" : "0",
    ];
    args.push(...(options.handles ?? []));
    if (options.handles?.length === 0) return [];
    const reply = (await withTimeout(
      "principal revoke",
      this.commandTimeoutMs,
      () => connection.runScript(revokePrincipalScript, [this.keys.principalIndexKey(indexId)], args),
      this.#explain,
    )) as unknown[];
    const revoked: IndexedSession[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      // The revoked record as it was ("" when not asked for); one that does not unpack gives no fields.
      const packed = reply[i + 1];
      const fields = (typeof packed === "string" && packed !== "" && unpackRecord(packed)) || {};
      revoked.push({ handle: reply[i] as string, fields });
    }
    return revoked;
  }

  async close(): Promise<void> {
    const connection = await this.#connection.catch(() => undefined);
    await connection?.close();
  }
}

export function createRedisStore(options: RedisSessionStoreOptions): RedisSessionStore {
  return new RedisSessionStore(options);
}

/** @deprecated The name of RedisSessionStore before 0.2. */
export const RedisStore = RedisSessionStore;
/** @deprecated The name of RedisSessionStore before 0.2. */
export type RedisStore = RedisSessionStore;
/** @deprecated The name of RedisSessionStoreOptions before 0.2. */
export type RedisStoreOptions = RedisSessionStoreOptions;

/** Two sessions share a cluster slot when their keys share a hash tag: the slot tag, or the hash itself. */
function sameSlot(keyId: string, otherKeyId: string): boolean {
  return slotTagOf(keyId) === slotTagOf(otherKeyId);
}

/** A record that does not unpack is corrupt: an empty map makes the manager remove it and start afresh. */
function recordOfReply(packed: string | null): StoredRecord | null {
  return packed === null ? null : (unpackRecordMap(packed) ?? new Map());
}

/** Something that is not a string sits under the key: bad data, not an outage (rule 8). */
function wrongTypeAsCorrupt(error: SessionStoreError): StoredRecord {
  if (/WRONGTYPE/.test(error.message)) return new Map();
  throw error;
}
