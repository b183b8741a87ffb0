import { toMilliseconds } from "../../common/duration.js";
import { ErrorCodes, SessionConfigError, SessionError, sessionTooLarge } from "../../common/errors.js";
import { bytesToText, textToBytes } from "../byte-scripts.js";
import { type ForeignSessionsOptions, openForeignRedis, type WriteOutcome } from "../foreign-redis.js";
import type { ForeignChanges, WriteOptions } from "../foreign-sessions.js";
import { defineOwn, type ForeignSessionData } from "../foreign-value.js";
import type { SpringFormat } from "./spring-format.js";
import { GRACE_SECONDS, springIndex } from "./spring-index.js";
import {
  ATTRIBUTE_PREFIX,
  CREATION_TIME,
  decodeSpringHash,
  isExpired,
  LAST_ACCESSED_TIME,
  MAX_INACTIVE_INTERVAL,
  type SpringRecord,
} from "./spring-record.js";
import { READ_HASH_SCRIPT, WRITE_HASH_SCRIPT } from "./spring-scripts.js";

/** A session of a principal, as findByPrincipalName answers it. */
export interface SpringPrincipalSession {
  /** Spring's session ID (a UUID). */
  readonly id: string;
  /** Its cookie value (what the other operations take). */
  readonly cookieValue: string;
  readonly data: ForeignSessionData;
}

export interface SpringSessions<N = unknown> {
  readonly format: SpringFormat<N>;
  /** The session's attributes, or undefined when there is none, it expired, or it is corrupt. */
  get(cookieValue: string): Promise<ForeignSessionData | undefined>;
  /** The hash as read (metadata and attribute nodes), or undefined. */
  load(cookieValue: string): Promise<SpringRecord<N> | undefined>;
  /** Replaces every attribute (creating the session when missing); creationTime is kept. */
  set(cookieValue: string, data: Readonly<Record<string, unknown>>, options?: WriteOptions): Promise<void>;
  /**
   * Sets and removes only these attributes (one field each, as Spring's delta writes do), so whatever
   * the Spring app changed meanwhile survives; marks the session accessed. False when it does not exist.
   */
  update(cookieValue: string, changes: ForeignChanges, options?: WriteOptions): Promise<boolean>;
  /** Marks the session accessed (lastAccessedTime, expiry), as every Spring request does. */
  touch(cookieValue: string): Promise<boolean>;
  /** A new session; answers its cookie value. With `indexed`, Spring hears a SessionCreatedEvent. */
  create(data: Readonly<Record<string, unknown>>, options?: WriteOptions): Promise<string>;
  /** Ends the session; with `indexed`, the way deleteById does (Spring hears a SessionDeletedEvent). */
  destroy(cookieValue: string): Promise<void>;
  /** The live sessions in the principal index (`indexed` only); dead entries are pruned. */
  findByPrincipalName(name: string): Promise<SpringPrincipalSession[]>;
  close(): Promise<void>;
}

/** Field writes per script call stay well under Lua's limit on arguments. */
const MAX_FIELDS_PER_WRITE = 4000;

/**
 * get / set / update / create / destroy of a Spring app's sessions, in Spring Session's hash layout
 * (RedisSessionRepository, or RedisIndexedSessionRepository with its index, shadow keys and expiration
 * sets), over sessionkit's connection handling. A write sets only the fields that changed, in one
 * script that first checks the session is still the one read (a session destroyed meanwhile is not
 * brought back); the indexed repository's other keys live in other slots, so they follow as separate
 * commands, as Spring itself sends them.
 */
export function createSpringSessions<N>(
  format: SpringFormat<N>,
  options: ForeignSessionsOptions,
): SpringSessions<N> {
  const { codec, keys } = format;
  const redis = openForeignRedis(options);
  const { maxRecordBytes, report, call, script } = redis;
  let warnedNeverExpires = false;
  const text = (bytes: Uint8Array) => bytesToText(bytes);
  const fieldText = (name: string) => bytesToText(Buffer.from(name, "utf8"));
  const index = springIndex(format, redis);

  const idOf = (cookieValue: string): string => {
    const id = format.idOf(cookieValue);
    if (id === undefined)
      throw new SessionError(ErrorCodes.SESSION_STATE, `not a ${format.name} session cookie`, {
        status: 400,
      });
    return id;
  };

  const readHash = async (id: string) => {
    const flat = (await script("Spring session read", READ_HASH_SCRIPT, keys.session(id), [])) as string[];
    if (flat.length === 0) return undefined;
    const fields: [string, Uint8Array][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      fields.push([textToBytes(flat[i] as string).toString("utf8"), textToBytes(flat[i + 1] as string)]);
    return redis.decodedOrNone(format.name, () => decodeSpringHash(fields, codec));
  };

  const load = async (id: string, allowExpired = false) => {
    const record = await readHash(id);
    if (!record || (!allowExpired && isExpired(record, Date.now()))) return undefined;
    return record;
  };

  /** The interval a write keeps: Spring's own, or ours where Spring's would write no TTL. */
  const intervalOf = (stored: number): number => {
    if (stored > 0) return stored;
    if (!warnedNeverExpires) {
      warnedNeverExpires = true;
      report({
        code: "SESSION_CONFIG_WARNING",
        message: `a ${format.name} session that never expires (maxInactiveInterval ${stored}): sessionkit writes no key without a TTL, so its writes give it spring({ maxInactiveInterval }) (${format.maxInactiveSeconds} s)`,
      });
    }
    return format.maxInactiveSeconds;
  };

  const ttlSeconds = (given: WriteOptions["ttl"]): number | undefined => {
    if (given === undefined) return undefined;
    const ms = toMilliseconds(given, "ttl");
    if (ms < 1000)
      throw new SessionConfigError("ttl must be at least 1s: sessionkit writes no key without a TTL");
    return Math.floor(ms / 1000);
  };

  interface Write {
    mode: "create" | "update" | "replace";
    id: string;
    /** The session as read (update, replace), for the guard and the index bookkeeping. */
    before: SpringRecord<N> | undefined;
    sets: Map<string, Uint8Array>;
    removes: string[];
    /** The attributes after the write (to resolve the new principal). */
    after: ReadonlyMap<string, N>;
    intervalSeconds: number;
    /** The maxInactiveInterval the guard expects, or "*" when this write sets it. */
    expectInterval: Uint8Array | "*";
    nowMs: number;
  }

  /** Runs the hash script; then, for the indexed repository, its index and expiration keys. */
  /** The hash script alone (deleteById's last step needs no index bookkeeping after it). */
  const writeHash = async (w: Write): Promise<WriteOutcome> => {
    let bytes = 0;
    for (const value of w.sets.values()) bytes += value.length;
    if (bytes > maxRecordBytes)
      throw sessionTooLarge(
        `a ${format.name} write of ${bytes} bytes is over maxRecordBytes (${maxRecordBytes})`,
      );
    if (w.sets.size + w.removes.length > MAX_FIELDS_PER_WRITE)
      throw sessionTooLarge(`a ${format.name} write of more than ${MAX_FIELDS_PER_WRITE} attributes`);
    const expiry = format.indexed
      ? ["in", String((w.intervalSeconds + GRACE_SECONDS) * 1000)]
      : ["at", String(w.nowMs + w.intervalSeconds * 1000)];
    const created =
      w.mode === "create" && format.indexed
        ? [
            keys.createdChannel(w.id),
            text(
              codec.map([
                [CREATION_TIME, codec.long(w.nowMs)],
                [MAX_INACTIVE_INTERVAL, codec.int(w.intervalSeconds)],
                [LAST_ACCESSED_TIME, codec.long(w.nowMs)],
              ]),
            ),
          ]
        : ["", ""];
    const args = [
      w.mode,
      w.before ? text(w.before.creationTimeBytes) : "",
      w.expectInterval === "*" ? "*" : text(w.expectInterval),
      ...expiry,
      String(w.sets.size),
      ...created,
    ];
    for (const [name, value] of w.sets) args.push(fieldText(name), text(value));
    for (const name of w.removes) args.push(fieldText(name));
    return Number(
      await script("Spring session write", WRITE_HASH_SCRIPT, keys.session(w.id), args),
    ) as WriteOutcome;
  };

  /** The hash, then (indexed) its index and expiration keys. */
  const write = async (w: Write): Promise<WriteOutcome> => {
    const reply = await writeHash(w);
    if (reply === 1 && format.indexed) await index.afterWrite(w);
    return reply;
  };

  /** Every field of a whole session (create, set): its metadata, then its attributes. */
  const wholeSession = (
    creationTime: Uint8Array,
    nowMs: number,
    intervalSeconds: number,
    attributes: ReadonlyMap<string, N>,
  ) => {
    const sets = new Map<string, Uint8Array>([
      [CREATION_TIME, creationTime],
      [LAST_ACCESSED_TIME, codec.encode(codec.long(nowMs))],
      [MAX_INACTIVE_INTERVAL, codec.encode(codec.int(intervalSeconds))],
    ]);
    for (const [name, node] of attributes) sets.set(ATTRIBUTE_PREFIX + name, codec.encode(node));
    return sets;
  };

  /** Node's view of a session's attributes. */
  const dataOf = (record: SpringRecord<N>) => {
    const data = Object.create(null) as ForeignSessionData;
    for (const [name, node] of record.attributes) defineOwn(data, name, codec.toValue(node));
    return data;
  };

  const encodeAttributes = (data: Readonly<Record<string, unknown>>) => {
    const nodes = new Map<string, N>();
    for (const [name, value] of Object.entries(data))
      if (value !== undefined) nodes.set(name, codec.fromValue(value));
    return nodes;
  };

  const update = async (
    cookieValue: string,
    changes: ForeignChanges,
    writeOptions?: WriteOptions,
  ): Promise<boolean> => {
    const id = idOf(cookieValue);
    const given = ttlSeconds(writeOptions?.ttl);
    // Encoded before anything is read: a value Spring could not load fails the call at once.
    const encoded = new Map<string, N | undefined>();
    for (const [name, value] of Object.entries(changes))
      encoded.set(name, value === undefined ? undefined : codec.fromValue(value));
    return redis.untilWritten(format.name, async () => {
      const before = await load(id);
      if (!before) return -1;
      const nowMs = Date.now();
      const after = new Map(before.attributes);
      const sets = new Map<string, Uint8Array>();
      const removes: string[] = [];
      for (const [name, node] of encoded) {
        if (node === undefined) {
          after.delete(name);
          removes.push(ATTRIBUTE_PREFIX + name);
        } else {
          after.set(name, node);
          sets.set(ATTRIBUTE_PREFIX + name, codec.encode(node));
        }
      }
      sets.set(LAST_ACCESSED_TIME, codec.encode(codec.long(nowMs)));
      if (given !== undefined) sets.set(MAX_INACTIVE_INTERVAL, codec.encode(codec.int(given)));
      // 0: Spring changed the session's interval in between (the expiry was computed from it).
      return write({
        mode: "update",
        id,
        before,
        sets,
        removes,
        after,
        intervalSeconds: given ?? intervalOf(before.maxInactiveSeconds),
        expectInterval: given === undefined ? before.maxInactiveBytes : "*",
        nowMs,
      });
    });
  };

  const create = async (data: Readonly<Record<string, unknown>>, writeOptions?: WriteOptions) => {
    const intervalSeconds = ttlSeconds(writeOptions?.ttl) ?? format.maxInactiveSeconds;
    const attributes = encodeAttributes(data);
    for (;;) {
      const id = format.newId();
      const nowMs = Date.now();
      const reply = await write({
        mode: "create",
        id,
        before: undefined,
        sets: wholeSession(codec.encode(codec.long(nowMs)), nowMs, intervalSeconds, attributes),
        removes: [],
        after: attributes,
        intervalSeconds,
        expectInterval: "*",
        nowMs,
      });
      if (reply === 1) return format.cookieValueOf(id);
    }
  };

  return {
    format,
    async get(cookieValue) {
      const id = format.idOf(cookieValue);
      const record = id === undefined ? undefined : await load(id);
      return record && dataOf(record);
    },
    async load(cookieValue) {
      const id = format.idOf(cookieValue);
      return id === undefined ? undefined : load(id);
    },
    async set(cookieValue, data, writeOptions) {
      const id = idOf(cookieValue);
      const before = await load(id, true);
      const nowMs = Date.now();
      const intervalSeconds =
        ttlSeconds(writeOptions?.ttl) ??
        (before ? intervalOf(before.maxInactiveSeconds) : format.maxInactiveSeconds);
      const attributes = encodeAttributes(data);
      const creationTime = before ? before.creationTimeBytes : codec.encode(codec.long(nowMs));
      await write({
        mode: "replace",
        id,
        before,
        sets: wholeSession(creationTime, nowMs, intervalSeconds, attributes),
        removes: [],
        after: attributes,
        intervalSeconds,
        expectInterval: "*",
        nowMs,
      });
    },
    update,
    touch: (cookieValue) => update(cookieValue, {}),
    create,
    async destroy(cookieValue) {
      const id = format.idOf(cookieValue);
      if (id === undefined) return;
      if (!format.indexed) {
        await call("Spring session destroy", (connection) => connection.del(keys.session(id)));
        return;
      }
      const before = await load(id, true);
      if (!before) return;
      await index.forget(id, before);
      // As deleteById: the session becomes expired (interval 0) and its hash stays for the grace period,
      // so that Spring's listener, woken by the shadow key's deletion, can still load it for the event.
      const reply = await writeHash({
        mode: "update",
        id,
        before,
        sets: new Map([[MAX_INACTIVE_INTERVAL, codec.encode(codec.int(0))]]),
        removes: [],
        after: before.attributes,
        intervalSeconds: 0,
        expectInterval: "*",
        nowMs: Date.now(),
      });
      if (reply !== -1) await call("Spring session destroy", (connection) => connection.del(keys.shadow(id)));
    },
    async findByPrincipalName(name) {
      if (!format.indexed)
        throw new SessionConfigError(
          "findByPrincipalName needs spring({ indexed: true }): Spring's plain repository keeps no index",
        );
      const found: SpringPrincipalSession[] = [];
      for (const id of await index.sessionIdsOf(name)) {
        const record = await readHash(id);
        // The hash is gone: the entry can never name a live session again (Spring leaves such entries).
        if (!record) await index.drop(name, id);
        if (!record || isExpired(record, Date.now())) continue;
        found.push({ id, cookieValue: format.cookieValueOf(id), data: dataOf(record) });
      }
      return found;
    },
    close: () => redis.close(),
  };
}
