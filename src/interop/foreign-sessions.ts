import { createHash } from "node:crypto";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { ErrorCodes, SessionConfigError, SessionError, sessionTooLarge } from "../common/errors.js";
import { bytesToText, READ_SCRIPT, textToBytes, WRITE_SCRIPT } from "./byte-scripts.js";
import type { ForeignFormat, ForeignRecord } from "./foreign-format.js";
import { type ForeignSessionsOptions, openForeignRedis, type WriteOutcome } from "./foreign-redis.js";
import { defineOwn, type ForeignSessionData } from "./foreign-value.js";

export type { ForeignSessionsOptions };

export interface WriteOptions {
  /** The TTL to write; default the format's (Rails: expireAfter; Django: _session_expiry or the cookie age). */
  ttl?: Duration;
}

/** A session read with what a later compare-and-set needs. */
export interface LoadedForeignSession<N = unknown> {
  readonly record: ForeignRecord<N>;
  /** The remaining TTL in ms; -1 when the key has none (both Rails stores' default). */
  readonly ttlMs: number;
  readonly sha1: string;
}

/** Changes to apply: a value sets the attribute, `undefined` removes it. */
export type ForeignChanges = Readonly<Record<string, unknown>>;

/** What the Express mounting (express.ts) needs of a framework's sessions. */
export interface MountableSessions {
  readonly format: {
    readonly cookieName: string;
    keyFor(publicId: string): string | undefined;
    fromValue(value: unknown): unknown;
  };
  get(publicId: string): Promise<ForeignSessionData | undefined>;
  update(publicId: string, changes: ForeignChanges, options?: WriteOptions): Promise<boolean>;
  create(data: Readonly<Record<string, unknown>>, options?: WriteOptions): Promise<string>;
  destroy(publicId: string): Promise<void>;
  /** Marks the session accessed on a request that changed nothing (formats whose framework does). */
  touch?(publicId: string): Promise<boolean>;
}

export interface ForeignSessions<N = unknown> {
  readonly format: ForeignFormat<N>;
  /** The session's attributes, or undefined when there is none (or it is corrupt: see onDiagnostic). */
  get(publicId: string): Promise<ForeignSessionData | undefined>;
  /** Replaces the whole session (creating it when missing), with a TTL. */
  set(publicId: string, data: Readonly<Record<string, unknown>>, options?: WriteOptions): Promise<void>;
  /**
   * Changes only these attributes, keeping every other one as the other app has it right now
   * (compare-and-set, retried). False when the session does not exist (it is not created).
   */
  update(publicId: string, changes: ForeignChanges, options?: WriteOptions): Promise<boolean>;
  /** Creates a new session under a new ID and answers the ID (the cookie value). */
  create(data: Readonly<Record<string, unknown>>, options?: WriteOptions): Promise<string>;
  destroy(publicId: string): Promise<void>;
  /** The record as read, for callers that apply changes themselves (the Express mounting). */
  load(publicId: string): Promise<LoadedForeignSession<N> | undefined>;
  /** Closes the connection sessionkit opened (a client handed in stays open). */
  close(): Promise<void>;
}

/**
 * get / set / update / create / destroy of another framework's sessions, over sessionkit's connection
 * handling (every topology, timeouts, honest errors). Every write carries a TTL, and changes are
 * applied to the record as it is at the moment of writing, so a concurrent write by the other app
 * survives.
 */
export function createForeignSessions<N>(
  format: ForeignFormat<N>,
  options: ForeignSessionsOptions,
): ForeignSessions<N> {
  const redis = openForeignRedis(options);
  const { maxRecordBytes, report } = redis;
  const run = redis.script;
  let warnedNoTtl = false;

  const keyOf = (publicId: string): string => {
    const key = format.keyFor(publicId);
    if (key === undefined)
      throw new SessionError(ErrorCodes.SESSION_STATE, `not a ${format.name} session ID`, { status: 400 });
    return key;
  };

  const ttlOf = (record: ForeignRecord<N>, given: Duration | undefined, now: number): number => {
    if (given === undefined) return format.ttlMsFor(record, now);
    const ttlMs = toMilliseconds(given, "ttl");
    if (ttlMs <= 0)
      throw new SessionConfigError("ttl must be positive: sessionkit writes no key without a TTL");
    format.withTtl?.(record, ttlMs, now);
    return ttlMs;
  };

  const load = async (publicId: string): Promise<LoadedForeignSession<N> | undefined> => {
    const key = format.keyFor(publicId);
    if (key === undefined) return undefined;
    const reply = (await run("foreign session read", READ_SCRIPT, key, [])) as [string, number] | null;
    if (!reply) return undefined;
    const bytes = textToBytes(reply[0]);
    const ttlMs = Number(reply[1]);
    if (ttlMs === -1 && !warnedNoTtl) {
      warnedNoTtl = true;
      report({
        code: "SESSION_CONFIG_WARNING",
        message: `a ${format.name} session has no TTL: the framework writes none unless it is configured with one (Rails: expire_after). sessionkit gives it one on its next write; set the option on the framework's side too`,
      });
    }
    const record = redis.decodedOrNone(format.name, () => format.decode(bytes, Date.now()));
    if (record === undefined) return undefined;
    // Rails checks its entry's own expiry on read as well as the TTL.
    if (record.expiresAtMs !== undefined && record.expiresAtMs <= Date.now()) return undefined;
    return { record, ttlMs, sha1: createHash("sha1").update(bytes).digest("hex") };
  };

  const write = async (
    key: string,
    expected: string,
    record: ForeignRecord<N>,
    ttl: Duration | undefined,
  ) => {
    const now = Date.now();
    const ttlMs = ttlOf(record, ttl, now);
    const bytes = format.encode(record, ttlMs, now);
    if (bytes.length > maxRecordBytes)
      throw sessionTooLarge(
        `a ${format.name} session of ${bytes.length} bytes is over maxRecordBytes (${maxRecordBytes})`,
      );
    const reply = await run("foreign session write", WRITE_SCRIPT, key, [
      expected,
      bytesToText(bytes),
      String(ttlMs),
    ]);
    return Number(reply) as WriteOutcome;
  };

  const recordOf = (data: Readonly<Record<string, unknown>>): ForeignRecord<N> => {
    const attributes = new Map<string, N>();
    for (const [name, value] of Object.entries(data))
      if (value !== undefined) attributes.set(name, format.fromValue(value));
    return { attributes };
  };

  const update = async (publicId: string, changes: ForeignChanges, writeOptions?: WriteOptions) => {
    const key = keyOf(publicId);
    // Encoded once, before the loop: a value that cannot be written fails before anything is read.
    const encoded = new Map<string, N | undefined>();
    for (const [name, value] of Object.entries(changes))
      encoded.set(name, value === undefined ? undefined : format.fromValue(value));
    return redis.untilWritten(format.name, async () => {
      const loaded = await load(publicId);
      if (!loaded) return -1;
      const { attributes } = loaded.record;
      for (const [name, node] of encoded) {
        if (node === undefined) attributes.delete(name);
        else attributes.set(name, node);
      }
      return write(key, loaded.sha1, loaded.record, writeOptions?.ttl);
    });
  };

  return {
    format,
    load,
    async get(publicId) {
      const loaded = await load(publicId);
      if (!loaded) return undefined;
      const data = Object.create(null) as ForeignSessionData;
      for (const [name, node] of loaded.record.attributes) defineOwn(data, name, format.toValue(node));
      return data;
    },
    async set(publicId, data, writeOptions) {
      await write(keyOf(publicId), "*", recordOf(data), writeOptions?.ttl);
    },
    update,
    async create(data, writeOptions) {
      for (;;) {
        const publicId = format.newId();
        const result = await write(keyOf(publicId), "", recordOf(data), writeOptions?.ttl);
        if (result === 1) return publicId;
      }
    },
    async destroy(publicId) {
      const key = format.keyFor(publicId);
      if (key === undefined) return;
      await redis.call("foreign session destroy", (connection) => connection.del(key));
    },
    close: () => redis.close(),
  };
}
