import { randomBytes } from "node:crypto";
import type { LuaScript, RedisConnection } from "../redis/connection/redis-connection.js";
import { SCHEDULE_BUCKETS } from "../redis/key-layout.js";
import { unpackRecord } from "../redis/packed-record.js";
import type { RedisAccess } from "../redis/redis-session-store.js";
import { withTimeout } from "../redis/with-timeout.js";
import type {
  ConsumeOptions,
  NewSessionEvent,
  SessionEvent,
  SessionEventLog,
  SubscribeOptions,
  Subscription,
} from "../session/session-events.js";
import { encodedAttributesOf } from "../session/session-record.js";
import { MetaField } from "../store/record-meta.js";
import { eventFromEntry, eventToFields } from "./event-entry.js";
import { appendEventScript, claimDueScript, expireIfDueScript, scheduleScript } from "./event-scripts.js";

export interface EventLogOptions {
  /** Entries kept in the stream (approximately: XADD MAXLEN ~). */
  maxLength: number;
  /** Put the session's last attributes into destroyed/expired events. */
  includeData: boolean;
  idleTimeoutMs: number;
  /** How long records are kept past their deadline, so their "expired" event can carry the data. */
  retainExpiredMs: number;
  /** How often this instance sweeps (undefined: never; another instance does). */
  sweepIntervalMs: number | undefined;
}

/**
 * The stream and the schedule buckets live this long past their newest entry (rule 1): a consumer or
 * sweeper that starts within a week of the last event or deadline misses nothing.
 */
const RETENTION_MS = 7 * 86_400_000;
const CLAIM_BATCH = 200;
/** A claimed entry that was not finished (publish failed, sweeper died) is retried after this. */
const CLAIM_LEASE_MS = 5000;
const READ_BATCH = 100;
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Which schedule bucket holds a session: spread by the last character of its hash. */
export function bucketOf(keyId: string): number {
  return Math.max(0, BASE64URL.indexOf(keyId.charAt(keyId.length - 1))) % SCHEDULE_BUCKETS;
}

/**
 * Session events in a Redis stream, and the expiry schedule that produces "expired" events without
 * keyspace notifications: notifications are node-local, lost while nobody listens, and often forbidden
 * on managed Redis. The schedule (16 ZSET buckets spread over the cluster's slots) survives restarts and
 * failovers with the data, so a sweeper that starts late still finds every session that expired meanwhile.
 */
export class RedisEventLog implements SessionEventLog {
  readonly includeData: boolean;
  readonly retainExpiredMs: number;
  readonly #redis: RedisAccess;
  readonly #connection: Promise<RedisConnection>;
  readonly #keys: RedisAccess["keys"];
  readonly #options: EventLogOptions;
  readonly #sweeper: NodeJS.Timeout | undefined;

  constructor(redis: RedisAccess, options: EventLogOptions) {
    this.#redis = redis;
    this.#connection = redis.connection;
    this.#keys = redis.keys;
    this.#options = options;
    this.includeData = options.includeData;
    this.retainExpiredMs = options.retainExpiredMs;
    if (options.sweepIntervalMs !== undefined) {
      this.#sweeper = setInterval(() => void this.sweep().catch(() => {}), options.sweepIntervalMs);
      this.#sweeper.unref();
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  /**
   * Runs what publishing and the schedule run, on probe keys of the namespace (each with a TTL), so a
   * missing ACL permission (XADD, ZRANGEBYSCORE...) fails ready() at start-up instead of the first login:
   * Redis checks every command a script calls against the user. Nothing reaches the real stream, and the
   * probe entry in the schedule is removed at once (its deadline is far ahead: no sweeper claims it).
   */
  async ready(): Promise<void> {
    const probe = `ready-probe-${randomBytes(8).toString("hex")}`;
    const stream = `${this.#keys.eventsKey}-${probe}`;
    await this.#script("XADD", appendEventScript, stream, ["1", "1000", "probe", "1"]);
    await this.#script("expiry schedule", scheduleScript, this.#keys.scheduleKey(0), [
      String(Number.MAX_SAFE_INTEGER),
      probe,
      "1000",
    ]);
    await this.#run("ZREM", this.#keys.scheduleKey(0), ["ZREM", this.#keys.scheduleKey(0), probe]);
    await this.#script("expiry sweep", claimDueScript, this.#keys.scheduleKey(0), ["0", "0", "1"]);
    await this.#script("expiry check", expireIfDueScript, this.#keys.sessionKey(probe), ["0", "1"]);
  }

  async publish(event: NewSessionEvent, now = Date.now()): Promise<void> {
    const args = [String(this.#options.maxLength), String(RETENTION_MS), ...eventToFields(event, now)];
    await this.#script("XADD", appendEventScript, this.#keys.eventsKey, args);
  }

  /** Records when a session will end, so the sweeper finds it (moved on by the sweeper while it lives). */
  async schedule(keyId: string, deadline: number, now = Date.now()): Promise<void> {
    const ttl = String(Math.max(0, Math.ceil(deadline - now)) + RETENTION_MS);
    await this.#script("ZADD", scheduleScript, this.#keys.scheduleKey(bucketOf(keyId)), [
      String(Math.ceil(deadline)),
      keyId,
      ttl,
    ]);
  }

  async unschedule(keyId: string): Promise<void> {
    const key = this.#keys.scheduleKey(bucketOf(keyId));
    await this.#run("ZREM", key, ["ZREM", key, keyId]);
  }

  /**
   * One pass over every bucket: publishes the "expired" event of each due session, then deletes it.
   * A bucket whose primary fails is skipped for this pass (its claimed entries come back after the
   * lease); the error of the first failed bucket is thrown once the other buckets are done.
   */
  async sweep(now = Date.now()): Promise<number> {
    let published = 0;
    let firstError: unknown;
    for (let bucket = 0; bucket < SCHEDULE_BUCKETS; bucket++) {
      try {
        published += await this.#sweepBucket(bucket, now);
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
    return published;
  }

  async #sweepBucket(bucket: number, now: number): Promise<number> {
    const connection = await this.#connection;
    const timeoutMs = this.#redis.commandTimeoutMs;
    const scheduleKey = this.#keys.scheduleKey(bucket);
    const lease = [String(now), String(now + CLAIM_LEASE_MS), String(CLAIM_BATCH)];
    const due = (await withTimeout(
      "schedule claim",
      timeoutMs,
      () => connection.runScript(claimDueScript, [scheduleKey], lease),
      connection.lastError,
    )) as string[];
    let published = 0;
    for (const keyId of due) {
      const sessionKey = this.#keys.sessionKey(keyId);
      const result = (await withTimeout(
        "expiry check",
        timeoutMs,
        () =>
          connection.runScript(
            expireIfDueScript,
            [sessionKey],
            [String(now), String(this.#options.idleTimeoutMs)],
          ),
        connection.lastError,
      )) as string[];
      if (result[0] === "alive") {
        // Activity moved the deadline since it was scheduled: look again then. XX: only while the entry is
        // still there; a logout that unscheduled the session meanwhile must not be undone.
        await this.#run("ZADD", scheduleKey, ["ZADD", scheduleKey, "XX", result[1] as string, keyId]);
        continue;
      }
      await this.publish(this.#expiredEvent(keyId, result), now);
      // Only now: had the publish failed, the record would still be there for the retry.
      if (result[0] === "expired") await this.#run("DEL", sessionKey, ["DEL", sessionKey]);
      await this.#run("ZREM", scheduleKey, ["ZREM", scheduleKey, keyId]);
      published++;
    }
    return published;
  }

  #expiredEvent(keyId: string, result: string[]): NewSessionEvent {
    if (result[0] === "missing") return { type: "expired", keyId, reason: "ttl" };
    const event: NewSessionEvent = { type: "expired", keyId, reason: result[1] as string };
    // A record that does not unpack (reason "corrupt" has none) ends without its data.
    const fields = result[2] === undefined ? null : unpackRecord(result[2]);
    const principal = fields?.[MetaField.principal];
    if (principal !== undefined) event.principal = principal;
    if (fields && this.#options.includeData) event.data = encodedAttributesOf(fields);
    return event;
  }

  /**
   * Delivers each event to one consumer of `group` (a Redis consumer group): at least once, in stream
   * order per consumer; an event is acknowledged after the handler returns, and events a dead consumer
   * held are taken over after `reclaimAfterMs`.
   */
  consume(options: ConsumeOptions): Subscription {
    const key = this.#keys.eventsKey;
    const poll = options.pollIntervalMs ?? 100;
    const reclaimAfter = options.reclaimAfterMs ?? 30_000;
    let stopped = false;
    const ready = this.#createGroup(options.group, options.startFrom ?? "$");
    const loop = (async () => {
      // A group that could not be created is created again by the loop's NOGROUP path.
      await ready.catch((error: unknown) => options.onError?.(error));
      let lastReclaim = 0;
      while (!stopped) {
        try {
          if (Date.now() - lastReclaim >= Math.min(reclaimAfter, 5000)) {
            lastReclaim = Date.now();
            const claimed = (await this.#run("XAUTOCLAIM", key, [
              "XAUTOCLAIM",
              key,
              options.group,
              options.consumer,
              String(reclaimAfter),
              "0-0",
              "COUNT",
              String(READ_BATCH),
            ])) as [string, [string, string[]][]];
            await this.#handleEntries(claimed?.[1] ?? [], options);
          }
          const reply = (await this.#run("XREADGROUP", key, [
            "XREADGROUP",
            "GROUP",
            options.group,
            options.consumer,
            "COUNT",
            String(READ_BATCH),
            "STREAMS",
            key,
            ">",
          ])) as [string, [string, string[]][]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          await this.#handleEntries(entries, options);
          if (entries.length < READ_BATCH) await sleep(poll);
        } catch (error) {
          // The stream expired (nothing published for RETENTION_MS) and took the group with it.
          if (/NOGROUP/.test(String((error as Error)?.message))) {
            await this.#createGroup(options.group, "0").catch(() => {});
          } else options.onError?.(error);
          await sleep(poll * 5);
        }
      }
    })();
    return subscription(ready, loop, () => {
      stopped = true;
    });
  }

  /** Every event from now on, to this process (broadcast: every instance sees every event). */
  subscribe(handler: (event: SessionEvent) => void, options: SubscribeOptions = {}): Subscription {
    const key = this.#keys.eventsKey;
    const poll = options.pollIntervalMs ?? 100;
    let stopped = false;
    // The newest entry's ID, or "0-0" for an empty stream: later entries are the new ones.
    const start = (async () => {
      const newest = (await this.#run("XREVRANGE", key, ["XREVRANGE", key, "+", "-", "COUNT", "1"])) as
        | [string, string[]][]
        | null;
      return newest?.[0]?.[0] ?? "0-0";
    })();
    const loop = (async () => {
      let lastId = await start.catch((error: unknown) => {
        options.onError?.(error);
        return "0-0";
      });
      while (!stopped) {
        try {
          const reply = (await this.#run("XREAD", key, [
            "XREAD",
            "COUNT",
            String(READ_BATCH),
            "STREAMS",
            key,
            lastId,
          ])) as [string, [string, string[]][]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          for (const [id, fields] of entries) {
            lastId = id;
            const event = eventFromEntry(id, fields);
            if (event) handler(event);
          }
          if (entries.length < READ_BATCH) await sleep(poll);
        } catch (error) {
          options.onError?.(error);
          await sleep(poll * 5);
        }
      }
    })();
    return subscription(
      start.then(() => {}),
      loop,
      () => {
        stopped = true;
      },
    );
  }

  async #handleEntries(entries: [string, string[] | null][], options: ConsumeOptions): Promise<void> {
    const key = this.#keys.eventsKey;
    for (const [id, fields] of entries) {
      // A trimmed entry (MAXLEN) comes back from XAUTOCLAIM without fields: acknowledge it and move on.
      const event = fields ? eventFromEntry(id, fields) : null;
      if (event) await options.handler(event);
      await this.#run("XACK", key, ["XACK", key, options.group, id]);
    }
  }

  async #createGroup(group: string, startFrom: string): Promise<void> {
    const key = this.#keys.eventsKey;
    try {
      await this.#run("XGROUP", key, ["XGROUP", "CREATE", key, group, startFrom, "MKSTREAM"]);
    } catch (error) {
      if (!/BUSYGROUP/.test(String((error as Error)?.message))) throw error;
    }
  }

  async #script(operation: string, script: LuaScript, key: string, args: string[]): Promise<unknown> {
    const connection = await this.#connection;
    return withTimeout(
      operation,
      this.#redis.commandTimeoutMs,
      () => connection.runScript(script, [key], args),
      connection.lastError,
    );
  }

  async #run(operation: string, key: string, args: string[]): Promise<unknown> {
    const connection = await this.#connection;
    return withTimeout(
      operation,
      this.#redis.commandTimeoutMs,
      () => connection.command(key, args),
      connection.lastError,
    );
  }
}

function subscription(ready: Promise<void>, loop: Promise<void>, stop: () => void): Subscription {
  // A setup failure is the caller's through `ready`; the loop itself never rejects.
  ready.catch(() => {});
  return {
    ready,
    stop: async () => {
      stop();
      await loop.catch(() => {});
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
