import type { ConnectionOptions as TlsOptions } from "node:tls";
import { typedJsonCodec } from "../codecs/typed-json-codec.js";
import type { ValueCodec } from "../codecs/value-codec.js";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { SessionConfigError } from "../common/errors.js";
import { RedisEventLog } from "../events/event-log.js";
import { createPrincipalSessions } from "../principals/principal-sessions.js";
import { connectRedis, type RedisOption, validateRedisUrl } from "../redis/connection/connect.js";
import type { RedisConnection } from "../redis/connection/redis-connection.js";
import { createKeyLayout, DEFAULT_KEY_PREFIX, type KeyLayout } from "../redis/key-layout.js";
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  isRedisBackedStore,
  RedisSessionStore,
} from "../redis/redis-session-store.js";
import type { PrincipalSession } from "../session/principal-directory.js";
import type { SessionEvent } from "../session/session-events.js";
import { principalIndexId } from "../session/session-id.js";
import { handleOf } from "../store/key-id.js";
import { MetaField } from "../store/record-meta.js";
import { type AdminStore, isAdminStore, type SessionStore } from "../store/session-store.js";
import {
  type ConnectRedisConversionOptions,
  type ConnectRedisConversionReport,
  convertConnectRedis,
} from "./connect-redis-conversion.js";
import { type DecodedSession, decodeSession } from "./decoded-session.js";
import { type DoctorOptions, type DoctorReport, runDoctor } from "./doctor.js";
import { type EventTailOptions, tailEvents } from "./event-tail.js";
import { pacedScan, type ScanPacing } from "./paced-scan.js";
import { type PurgeReport, purgeNamespace } from "./purge.js";
import { collectStats, eventStreamStats, type SessionStats, type StatsOptions } from "./session-stats.js";
import { parseSessionTarget } from "./session-target.js";
import { auditTtls, type TtlAuditOptions, type TtlAuditReport } from "./ttl-audit.js";

export interface SessionAdminOptions {
  /** A Redis URL (every form of the README) or an ioredis / node-redis client. One of redis or store. */
  redis?: RedisOption;
  /** The app's store (`sessions.manager.store`): its connection is shared; a MemoryStore allows inspect only. */
  store?: SessionStore;
  /** Default "default" (ignored with `store`: the store's namespace is used). */
  namespace?: string;
  /** Default "sk" (ignored with `store`). */
  keyPrefix?: string;
  /** Every Redis call fails after this long. Default 1000 ms (scans: per SCAN call, not per scan). */
  commandTimeout?: Duration;
  tls?: TlsOptions;
  /** The app's secret(s): needed only to name a session by its cookie value. */
  secret?: string | readonly string[];
  /** The app's codec, to decode attributes. Default typed JSON (the library's). */
  codec?: ValueCodec;
}

/** A principal's session as listed by the admin (no "current": there is no request). */
export type AdminListedSession = Omit<PrincipalSession, "idleDeadline" | "current"> & {
  /** Epoch ms; null when the app's idleTimeout was not given. */
  idleDeadline: number | null;
};

/** Index entries of sessions idle longer than this are pruned when listing (a year: only the dead). */
const LIST_IDLE_TIMEOUT_MS = 365 * 86_400_000;

/**
 * Everything operators (the CLI, the dashboard, the demo) do with the sessions of one namespace, over
 * the library's own connection handling: every call bounded by the command timeout, errors named by
 * cause (SESSION_STORE_AUTH, _PERMISSION, _UNREACHABLE...), scans on every primary, paced, cancellable
 * and bounded in memory. Nothing here prints or returns a session ID: sessions are named by keyId/handle.
 */
export class SessionAdmin {
  readonly namespace: string;
  readonly keys: KeyLayout | undefined;
  readonly commandTimeoutMs: number;
  readonly #options: SessionAdminOptions;
  /** The app's store, or one of our own built on first use (doctor and scans never need it). */
  #store: SessionStore | undefined;
  readonly #ownsStore: boolean;
  readonly #codec: ValueCodec;
  #raw: Promise<RedisConnection> | undefined;

  constructor(options: SessionAdminOptions) {
    if ((options.redis === undefined) === (options.store === undefined)) {
      throw new SessionConfigError("give either redis (a URL or a client) or store");
    }
    this.#options = options;
    this.#codec = options.codec ?? typedJsonCodec;
    if (options.store !== undefined) {
      this.#store = options.store;
      this.#ownsStore = false;
      this.keys = isRedisBackedStore(options.store) ? options.store.redis.keys : undefined;
      this.commandTimeoutMs = isRedisBackedStore(options.store)
        ? options.store.redis.commandTimeoutMs
        : DEFAULT_COMMAND_TIMEOUT_MS;
    } else {
      this.commandTimeoutMs = toMilliseconds(
        options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
        "commandTimeout",
      );
      this.keys = createKeyLayout(options.keyPrefix ?? DEFAULT_KEY_PREFIX, options.namespace ?? "default");
      if (typeof options.redis === "string") validateRedisUrl(options.redis); // a typo fails here, not later
      this.#ownsStore = true;
    }
    this.namespace = this.keys?.namespacePrefix.split(":")[1] ?? options.namespace ?? "default";
  }

  /**
   * A connection for scans and checks. Built from a URL it is a connection of its own, not gated by the
   * store's start-up check, so that doctor can report a replica or a failing cluster instead of refusing.
   */
  #connection(): Promise<RedisConnection> {
    if (this.#raw === undefined) {
      const { redis, store, tls } = this.#options;
      this.#raw =
        store !== undefined
          ? this.#redisStore().redis.connection
          : connectRedis(redis as RedisOption, {
              commandTimeoutMs: this.commandTimeoutMs,
              report: () => {},
              ...(tls === undefined ? {} : { tls }),
            });
    }
    return this.#raw;
  }

  #sessionStore(): SessionStore {
    this.#store ??= new RedisSessionStore({
      redis: this.#options.redis as RedisOption,
      namespace: this.#options.namespace,
      keyPrefix: this.#options.keyPrefix,
      commandTimeout: this.commandTimeoutMs,
      ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
      // The start-up check's findings are doctor's to report, not diagnostics of a tool.
      report: () => {},
    });
    return this.#store;
  }

  #redisStore() {
    const store = this.#sessionStore();
    if (!isRedisBackedStore(store)) {
      throw new SessionConfigError("this needs a Redis store (the admin was given a store without Redis)");
    }
    return store;
  }

  #layout(): KeyLayout {
    if (this.keys === undefined) return this.#redisStore().redis.keys; // throws: no Redis
    return this.keys;
  }

  async doctor(options: DoctorOptions = {}): Promise<DoctorReport> {
    return runDoctor(await this.#connection(), this.#layout(), this.commandTimeoutMs, options);
  }

  async stats(options: StatsOptions = {}): Promise<SessionStats> {
    return collectStats(
      await this.#connection(),
      this.#layout(),
      this.namespace,
      this.commandTimeoutMs,
      options,
    );
  }

  /** Keys without a TTL in the whole Redis (not only this namespace's): see ttl-audit.ts. */
  async auditTtls(options: TtlAuditOptions = {}): Promise<TtlAuditReport> {
    return auditTtls(await this.#connection(), this.commandTimeoutMs, options);
  }

  /**
   * Converts connect-redis's records into this namespace's native records, as the app's imports would
   * write them (connect-redis-conversion.ts): paced, resumable, idempotent; legacy keys are left alone.
   */
  async convertConnectRedis(options: ConnectRedisConversionOptions): Promise<ConnectRedisConversionReport> {
    const store = this.#redisStore();
    return convertConnectRedis(await this.#connection(), store, store.redis.keys, this.commandTimeoutMs, {
      ...options,
      codec: options.codec ?? this.#codec,
    });
  }

  async purge(pacing: ScanPacing = {}): Promise<PurgeReport> {
    return purgeNamespace(
      await this.#connection(),
      this.#layout(),
      this.namespace,
      this.commandTimeoutMs,
      pacing,
    );
  }

  async *events(options: EventTailOptions = {}): AsyncGenerator<SessionEvent> {
    yield* tailEvents(await this.#connection(), this.#layout(), this.commandTimeoutMs, options);
  }

  /**
   * The keyId of a session named by a cookie value (needs `secret`), a session ID, a handle or a Redis
   * key; null when no such session is stored. Throws a SessionConfigError for input that names no session.
   * A handle of a principal's session without `principal` costs a SCAN of the namespace's session keys.
   */
  async resolve(target: string, options: { principal?: string } = {}): Promise<string | null> {
    const parsed = parseSessionTarget(target, {
      keyIdOfSessionKey: (key) => this.keys?.keyIdOfSessionKey(key),
      ...(this.#options.secret === undefined ? {} : { secret: this.#options.secret }),
      ...(options.principal === undefined ? {} : { principal: options.principal }),
    });
    if (parsed.kind === "invalid") throw new SessionConfigError(parsed.reason);
    const admin = this.#adminStore();
    // PTTL -2: no such key (a record that does not unpack is still found: inspect says it is corrupt).
    if (parsed.kind === "keyId")
      return (await admin.inspect(parsed.keyId)).ttlMs === -2 ? null : parsed.keyId;
    // A session without a principal: its keyId is its handle.
    if ((await admin.inspect(parsed.handle)).ttlMs !== -2) return parsed.handle;
    const layout = this.#layout();
    const pattern = `${layout.namespacePrefix}s:{*}${parsed.handle}`;
    for await (const batch of pacedScan(await this.#connection(), pattern, this.commandTimeoutMs)) {
      const keyId = layout.keyIdOfSessionKey(batch.keys[0] as string);
      if (keyId !== undefined) return keyId;
    }
    return null;
  }

  /**
   * The stored session, decoded (attributes with the app's codec); null when there is none. A record
   * that does not unpack (edited by hand, another app's) comes back with `corrupt: true` and no data:
   * requests treat it as no session and delete it (rule 8).
   */
  async inspect(keyId: string, options: { redact?: boolean } = {}): Promise<DecodedSession | null> {
    const inspected = await this.#adminStore().inspect(keyId);
    if (inspected.ttlMs === -2) return null;
    if (inspected.fields === null)
      return { ...decodeSession({ ...inspected, fields: {} }, this.#codec, false), corrupt: true };
    return decodeSession({ ...inspected, fields: inspected.fields }, this.#codec, options.redact ?? false);
  }

  /** Where a session lives and its remaining TTL, as the store reports it (works on a MemoryStore too). */
  locate(keyId: string) {
    return this.#adminStore().inspect(keyId);
  }

  /**
   * The principal's live sessions (handle, created, last access, deadlines, device). The idle deadline
   * depends on the app's idleTimeout, which only the app knows: give it, or idleDeadline is null.
   */
  async listSessions(
    principal: string,
    options: { idleTimeout?: Duration } = {},
  ): Promise<AdminListedSession[]> {
    const idleTimeoutMs =
      options.idleTimeout === undefined ? undefined : toMilliseconds(options.idleTimeout, "idleTimeout");
    const sessions = await (await this.#principals(false)).list(principal, undefined);
    return sessions.map(({ current: _current, ...session }) => ({
      ...session,
      idleDeadline: idleTimeoutMs === undefined ? null : session.lastAccessAt + idleTimeoutMs,
    }));
  }

  /**
   * Ends all of a principal's sessions, or the one with `handle`, through the library's revoke: atomic
   * against the principal's logins, and "destroyed" events (reason "revoked") are published when the
   * namespace has an event stream. Answers how many sessions ended.
   */
  async revokePrincipal(principal: string, handle?: string): Promise<number> {
    const directory = await this.#principals(true);
    return directory.revoke(principal, handle === undefined ? {} : { handles: [handle] });
  }

  /** Ends one session named by its keyId (see resolve): 1 when it existed, else 0. */
  async revokeSession(keyId: string): Promise<number> {
    const inspected = await this.#adminStore().inspect(keyId);
    if (inspected.ttlMs === -2) return 0;
    const principal = inspected.fields?.[MetaField.principal];
    if (principal !== undefined && principal !== "") {
      const revoked = await this.revokePrincipal(principal, handleOf(keyId));
      if (revoked > 0) return revoked;
    }
    // No principal (or its index lost the entry): delete the record itself and say so in the stream.
    await this.#sessionStore().remove(keyId, principal ? principalIndexId(principal) : undefined);
    const events = await this.#eventLog();
    if (events) {
      await events.unschedule(keyId);
      await events.publish({
        type: "destroyed",
        keyId,
        ...(principal ? { principal } : {}),
        reason: "revoked",
      });
    }
    return 1;
  }

  async close(): Promise<void> {
    const raw = this.#options.store === undefined ? this.#raw : undefined;
    if (raw) await (await raw.catch(() => undefined))?.close();
    if (this.#ownsStore) await this.#store?.close();
  }

  #adminStore(): AdminStore {
    const store = this.#sessionStore();
    if (!isAdminStore(store)) throw new SessionConfigError("this store cannot be inspected");
    return store;
  }

  async #principals(withEvents: boolean) {
    const store = this.#redisStore();
    if (!("listIndexed" in store)) throw new SessionConfigError("this store has no principal index");
    return createPrincipalSessions({
      store: store as RedisSessionStore,
      events: withEvents ? await this.#eventLog() : undefined,
      idleTimeoutMs: LIST_IDLE_TIMEOUT_MS,
      now: Date.now,
    });
  }

  /**
   * The namespace's event log, when the app uses events (its stream exists): a revoke from here is then
   * heard by the app's consumers like one from the app. Without a stream nothing is published, so a
   * tool never creates keys an app without events would not have.
   */
  async #eventLog(): Promise<RedisEventLog | undefined> {
    const store = this.#redisStore();
    const connection = await this.#connection();
    const { length } = await eventStreamStats(connection, store.redis.keys, this.commandTimeoutMs);
    if (length === 0) return undefined;
    return new RedisEventLog(store.redis, {
      // Never shorter than the stream is: our XADD ... MAXLEN ~ must not trim what the app keeps.
      maxLength: Math.max(100_000, length + 1000),
      includeData: false,
      idleTimeoutMs: LIST_IDLE_TIMEOUT_MS,
      retainExpiredMs: 0,
      sweepIntervalMs: undefined,
    });
  }
}

export function createSessionAdmin(options: SessionAdminOptions): SessionAdmin {
  return new SessionAdmin(options);
}
