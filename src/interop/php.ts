import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { ErrorCodes, SessionConfigError, SessionStoreError } from "../common/errors.js";
import { defineLuaScript } from "../redis/lua-script.js";
import type { ForeignFormat } from "./foreign-format.js";
import { openForeignRedis } from "./foreign-redis.js";
import {
  createForeignSessions,
  type ForeignSessions,
  type ForeignSessionsOptions,
} from "./foreign-sessions.js";
import { DEFAULT_PHP_LIMITS, type PhpLimits, type PhpNode } from "./php/php-node.js";
import { decodePhpSession, encodePhpSession, type PhpSerializeHandler } from "./php/php-session.js";
import { type PhpObjects, phpToValue, valueToPhp } from "./php/php-view.js";

export interface PhpLockOptions {
  /** redis.session.lock_expire (else max_execution_time): how long a lock lives. Default "30s". */
  expire?: Duration;
  /** redis.session.lock_retries: more attempts after the first. Default 100. */
  retries?: number;
  /** redis.session.lock_wait_time (µs in PHP): the pause between attempts. Default "20ms". */
  wait?: Duration;
}

export interface PhpOptions {
  /** The `prefix` of session.save_path. Default "PHPREDIS_SESSION:". */
  prefix?: string;
  /** session.serialize_handler. Default "php" (PHP's default). */
  serializeHandler?: PhpSerializeHandler;
  /** session.gc_maxlifetime: the TTL phpredis writes with SETEX. Default 1440 s (PHP's default). */
  ttl?: Duration;
  /** session.name. Default "PHPSESSID". */
  cookieName?: string;
  /**
   * redis.session.locking_enabled=1 on the PHP side: take and honour phpredis's `<key>_LOCK` around
   * every Node write. `true` takes PHP's defaults.
   */
  locking?: boolean | PhpLockOptions;
  /** A PHP object (O:, C:, E:): "opaque" keeps it inert and writes it back as read (default); "refuse". */
  objects?: PhpObjects;
  limits?: Partial<PhpLimits>;
}

/** The PHP format, with what its lock needs. */
export interface PhpFormat extends ForeignFormat<PhpNode> {
  readonly serializeHandler: PhpSerializeHandler;
  /** The lock's settings in ms, when locking is on. */
  readonly locking: { expireMs: number; retries: number; waitMs: number } | undefined;
}

/** session.sid_bits_per_character=4 (PHP's built-in default) gives hex IDs. */
const HEX = "0123456789abcdef";

/** PHP sessions in Redis through phpredis's session handler (session.save_handler=redis). */
export function php(options: PhpOptions = {}): PhpFormat {
  const { prefix = "PHPREDIS_SESSION:", serializeHandler = "php", cookieName = "PHPSESSID" } = options;
  if (serializeHandler !== "php" && serializeHandler !== "php_serialize")
    throw new SessionConfigError('php({ serializeHandler }) must be "php" or "php_serialize"');
  const ttlMs = toMilliseconds(options.ttl ?? "1440s", "php({ ttl })");
  if (ttlMs <= 0) throw new SessionConfigError("php({ ttl }) must be positive");
  const limits = { ...DEFAULT_PHP_LIMITS, ...options.limits };
  const objects = options.objects ?? "opaque";
  const lock = options.locking === true ? {} : options.locking || undefined;
  let locking: PhpFormat["locking"];
  if (lock) {
    const expireMs = toMilliseconds(lock.expire ?? "30s", "php({ locking: { expire } })");
    // sessionkit never takes a lock without a TTL (PHP does when max_execution_time is 0, as on the CLI).
    if (expireMs <= 0) throw new SessionConfigError("php({ locking: { expire } }) must be positive");
    const retries = lock.retries ?? 100;
    if (!Number.isInteger(retries) || retries < 0)
      throw new SessionConfigError("php({ locking: { retries } }) must be a whole number");
    locking = {
      expireMs,
      retries,
      waitMs: toMilliseconds(lock.wait ?? "20ms", "php({ locking: { wait } })"),
    };
  }

  return {
    name: `php-${serializeHandler}`,
    cookieName,
    serializeHandler,
    locking,
    keyFor(publicId) {
      // PHP's valid session ID characters; 22 is the shortest session.sid_length allows.
      if (!/^[a-zA-Z0-9,-]{22,256}$/.test(publicId)) return undefined;
      return `${prefix}${publicId}`;
    },
    newId: () => Array.from(randomBytes(32), (byte) => HEX[byte & 15]).join(""),
    decode(bytes) {
      const attributes = decodePhpSession(bytes, serializeHandler, limits);
      if (objects === "refuse") for (const node of attributes.values()) phpToValue(node, "refuse");
      return { attributes };
    },
    encode: (record) => encodePhpSession(record.attributes, serializeHandler),
    toValue: (node) => phpToValue(node, objects),
    fromValue: (value) => valueToPhp(value),
    ttlMsFor: () => ttlMs,
  };
}

/** phpredis's LOCK_RELEASE_LUA_STR: delete the lock only while it still holds our secret. */
const RELEASE_SCRIPT = defineLuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
`);

export interface PhpSessions extends ForeignSessions<PhpNode> {
  /**
   * Runs `fn` holding phpredis's lock on the session (a PHP request's session_start waits meanwhile);
   * `fn` gets the operations without locking of their own. Without `locking`, just runs `fn`.
   */
  withLock<T>(publicId: string, fn: (sessions: ForeignSessions<PhpNode>) => Promise<T>): Promise<T>;
}

/**
 * The foreign-session operations on PHP sessions. With `locking`, every write (set, update, destroy)
 * first takes `<key>_LOCK` the way phpredis does (SET NX PX, retried), so it waits for a PHP request
 * that holds the session, and PHP's requests wait for it; the lock always has a TTL and is released by
 * compare-and-delete. Reads do not wait, as phpredis's own readers would: they never see half a write.
 */
export function createPhpSessions(format: PhpFormat, options: ForeignSessionsOptions): PhpSessions {
  const inner = createForeignSessions(format, options);
  // The lock's own connection: a write holds the lock while the inner operations use theirs.
  const lockRedis = openForeignRedis(options);
  // phpredis's secret is "<hostname>|<pid>"; one Node process runs many requests, so each adds its own part.
  const secretBase = `${hostname()}|${process.pid}|`;

  const withLock = async <T>(publicId: string, fn: (sessions: ForeignSessions<PhpNode>) => Promise<T>) => {
    const settings = format.locking;
    const key = format.keyFor(publicId);
    if (!settings || key === undefined) return fn(inner);
    const lockKey = `${key}_LOCK`;
    const secret = secretBase + randomBytes(8).toString("hex");
    let locked = false;
    for (let attempt = 0; attempt <= settings.retries; attempt++) {
      const reply = await lockRedis.call("PHP session lock", (redis) =>
        redis.command(lockKey, ["SET", lockKey, secret, "NX", "PX", String(settings.expireMs)]),
      );
      if (reply === "OK") {
        locked = true;
        break;
      }
      if (attempt < settings.retries) await new Promise((resolve) => setTimeout(resolve, settings.waitMs));
    }
    if (!locked)
      throw new SessionStoreError(
        ErrorCodes.STORE_UNAVAILABLE,
        `a PHP request held the session lock through ${settings.retries + 1} attempts: the write was not made`,
      );
    try {
      return await fn(inner);
    } finally {
      await lockRedis.script("PHP session unlock", RELEASE_SCRIPT, lockKey, [secret]);
    }
  };

  return {
    ...inner,
    withLock,
    set: (publicId, data, writeOptions) => withLock(publicId, (s) => s.set(publicId, data, writeOptions)),
    update: (publicId, changes, writeOptions) =>
      withLock(publicId, (s) => s.update(publicId, changes, writeOptions)),
    destroy: (publicId) => withLock(publicId, (s) => s.destroy(publicId)),
    async close() {
      await inner.close();
      await lockRedis.close();
    },
  };
}
