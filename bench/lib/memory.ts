/**
 * Redis memory per session for the same payload (user, counter, ~1 KB cart):
 * - sessionkit, written through its own SessionManager and RedisStore (the real create path: key layout,
 *   field encoding, TTL), under the server's default hash limits and under candidate settings;
 * - connect-redis, written through its own store.set with the session object express-session hands it
 *   (the data plus express-session's cookie object);
 * - a layout alternative (one string per session under our key name), for comparison only.
 * Each case starts from an empty Redis and reads INFO used_memory before and after, and MEMORY USAGE
 * (SAMPLES 0: exact) and OBJECT ENCODING of sampled keys.
 */
import { randomBytes } from "node:crypto";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import expressSession from "express-session";
import { Redis } from "ioredis";
import { createClient } from "redis";
import type * as Codec from "../../src/codecs/typed-json-codec.js";
import type * as Manager from "../../src/core/session-manager.js";
import { builtModule } from "./build.js";
import { BENCH_SECRET, BENCH_USER, makeCart } from "./payload.js";
import { round } from "./redis-stats.js";

const ONE_DAY_MS = 86_400_000;
const IN_FLIGHT = 512;
const SAMPLE_KEYS = 200;
/** Redis 7.0 main and expires dictionaries: 8-byte bucket pointers, power-of-two tables. */
const BUCKET_BYTES = 8;
const DICTS_PER_KEY = 2;

export interface MemoryCase {
  id: string;
  label: string;
  sessions: number;
  usedMemoryDelta: number;
  bytesPerSession: number;
  /** Average MEMORY USAGE of sampled keys (the key's own allocations, without the dict entry of the TTL). */
  memoryUsagePerKey: number;
  encoding: string;
  keyExample: string;
  /** Extrapolated to 10 M sessions: the per-key part times 10 M, plus the hash tables' bucket arrays. */
  extrapolated10MBytes: number;
  serverConfig: Record<string, string>;
}

interface Writer {
  id: string;
  label: string;
  serverConfig?: Record<string, string>;
  /** Called once before writing, returns one function that writes session i. */
  open(): Promise<{ write(i: number): Promise<void>; close(): Promise<void> }>;
}

function sessionData() {
  return { user: BENCH_USER, counter: 0, cart: makeCart(0) };
}

/** sessionkit's real create path: a new session, three attributes, committed (one EVALSHA each). */
function sessionkitWriter(
  redisUrl: string,
  id: string,
  label: string,
  config?: Record<string, string>,
  keyPrefix?: string,
): Writer {
  return {
    id,
    label,
    serverConfig: config,
    async open() {
      const { SessionManager } = await builtModule<typeof Manager>("core/session-manager");
      const manager = new SessionManager({ redis: redisUrl, secret: BENCH_SECRET, keyPrefix });
      return {
        async write() {
          const session = await manager.load({ cookieHeader: undefined, secure: false });
          Object.assign(session, sessionData());
          await manager.commit(session);
        },
        close: () => manager.close(),
      };
    },
  };
}

/** connect-redis as express-session drives it: store.set(sid, session) with the cookie object inside. */
function connectRedisWriter(redisUrl: string): Writer {
  return {
    id: "connect-redis",
    label: "connect-redis 9 (STRING sess:<sid>, JSON incl. express-session's cookie)",
    async open() {
      const client = createClient({ url: redisUrl });
      client.on("error", () => {});
      await client.connect();
      const store = new ConnectRedisStore({ client });
      // express-session builds its cookie from the options object; @types/express-session omits the argument.
      const CookieWithOptions = expressSession.Cookie as unknown as new (options: {
        maxAge: number;
      }) => expressSession.Cookie;
      const cookie = new CookieWithOptions({ maxAge: ONE_DAY_MS });
      return {
        async write() {
          // express-session's ID: 24 random bytes, base64url (uid-safe).
          const sid = randomBytes(24).toString("base64url");
          await store.set(sid, { cookie, ...sessionData() } as unknown as expressSession.SessionData);
        },
        async close() {
          await client.quit();
        },
      };
    },
  };
}

/** Layout alternative, for comparison: the same fields as one JSON string under our key name. */
function stringLayoutWriter(redisUrl: string): Writer {
  return {
    id: "alt-string",
    label: "alternative: one STRING per session under sessionkit's key name (not the store's layout)",
    async open() {
      const client = new Redis(redisUrl, { enableAutoPipelining: true });
      const data = sessionData();
      const now = Date.now();
      return {
        async write() {
          const keyHash = randomBytes(32).toString("base64url");
          const value = JSON.stringify({
            $c: now,
            $a: now,
            $x: now + 14 * ONE_DAY_MS,
            user: JSON.stringify(data.user),
            counter: JSON.stringify(data.counter),
            cart: JSON.stringify(data.cart),
          });
          await client.set(`sessionkit:default:s:{${keyHash}}`, value, "PX", ONE_DAY_MS);
        },
        async close() {
          await client.quit();
        },
      };
    },
  };
}

/**
 * Layout alternative, for comparison: the store's hash, but every value longer than the server's
 * hash-max-listpack-value (64) split over fields of at most 64 bytes ("cart", "cart\u00001", ...), so the
 * hash stays a listpack under default server settings. Same fields and values as the store writes.
 */
function chunkedHashWriter(redisUrl: string): Writer {
  return {
    id: "alt-chunked-hash",
    label: "alternative: HASH with values split into <= 64-byte fields (listpack at server defaults)",
    async open() {
      const { typedJsonCodec } = await builtModule<typeof Codec>("codecs/typed-json-codec");
      const client = new Redis(redisUrl, { enableAutoPipelining: true });
      const now = Date.now();
      const fields: string[] = ["$c", String(now), "$a", String(now), "$x", String(now + 14 * ONE_DAY_MS)];
      for (const [name, value] of Object.entries(sessionData())) {
        const encoded = typedJsonCodec.encode(value);
        for (let i = 0; i === 0 || i * 64 < encoded.length; i++) {
          fields.push(i === 0 ? name : `${name}\u0000${i}`, encoded.slice(i * 64, (i + 1) * 64));
        }
      }
      return {
        async write() {
          const key = `sessionkit:default:s:{${randomBytes(32).toString("base64url")}}`;
          await Promise.all([client.hset(key, ...fields), client.pexpire(key, ONE_DAY_MS)]);
        },
        async close() {
          await client.quit();
        },
      };
    },
  };
}

const LISTPACK_CONFIG = { "hash-max-listpack-value": "2048" };

/** The cases measured with `--memory-sessions` sessions each; `big`: also loaded with `--memory-big`. */
export function memoryWriters(redisUrl: string): (Writer & { big: boolean })[] {
  return [
    {
      ...sessionkitWriter(
        redisUrl,
        "sessionkit",
        "sessionkit (HASH, server defaults: hash-max-listpack-value 64)",
      ),
      big: true,
    },
    { ...connectRedisWriter(redisUrl), big: true },
    {
      ...sessionkitWriter(
        redisUrl,
        "sessionkit-listpack",
        "sessionkit (HASH), server set to hash-max-listpack-value 2048",
        LISTPACK_CONFIG,
      ),
      big: true,
    },
    {
      ...sessionkitWriter(
        redisUrl,
        "sessionkit-listpack-sk",
        'sessionkit (HASH), hash-max-listpack-value 2048 and keyPrefix "sk"',
        LISTPACK_CONFIG,
        "sk",
      ),
      big: false,
    },
    { ...chunkedHashWriter(redisUrl), big: false },
    { ...stringLayoutWriter(redisUrl), big: false },
  ];
}

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

async function runWriter(writer: Writer, sessions: number): Promise<void> {
  const opened = await writer.open();
  let next = 0;
  const worker = async () => {
    while (next < sessions) {
      const i = next++;
      await opened.write(i);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, sessions) }, worker));
  } finally {
    await opened.close();
  }
}

function bucketArrayBytes(keys: number): number {
  let size = 4;
  while (size < keys) size *= 2;
  return size * BUCKET_BYTES * DICTS_PER_KEY;
}

export async function measureMemory(
  admin: Redis,
  writer: Writer,
  sessions: number,
  onProgress: (message: string) => void,
): Promise<MemoryCase> {
  await admin.flushall("SYNC");
  const defaults: Record<string, string> = {};
  for (const [name, value] of Object.entries(writer.serverConfig ?? {})) {
    defaults[name] = String(((await admin.config("GET", name)) as string[])[1]);
    await admin.config("SET", name, value);
  }
  try {
    const before = await usedMemory(admin);
    const started = Date.now();
    await runWriter(writer, sessions);
    const after = await usedMemory(admin);
    const dbsize = await admin.dbsize();
    if (dbsize !== sessions) throw new Error(`${writer.id}: expected ${sessions} keys, found ${dbsize}`);
    let usageSum = 0;
    let sampled = 0;
    let encoding = "";
    let keyExample = "";
    for (let i = 0; i < SAMPLE_KEYS; i++) {
      const key = await admin.randomkey();
      if (key === null) break;
      usageSum += Number(await admin.memory("USAGE", key, "SAMPLES", 0));
      sampled++;
      if (i === 0) {
        encoding = String(await admin.object("ENCODING", key));
        keyExample = key.replace(/\{[^}]+\}|[A-Za-z0-9_-]{32}$/, (m) =>
          m.startsWith("{") ? "{<hash>}" : "<sid>",
        );
      }
    }
    const delta = after - before;
    const perKeyVariable = (delta - bucketArrayBytes(sessions)) / sessions;
    onProgress(
      `memory ${writer.id}: ${sessions} sessions, ${round(delta / sessions, 0)} B/session (${encoding}), ${round((Date.now() - started) / 1000, 1)} s`,
    );
    return {
      id: writer.id,
      label: writer.label,
      sessions,
      usedMemoryDelta: delta,
      bytesPerSession: round(delta / sessions, 1),
      memoryUsagePerKey: round(usageSum / Math.max(1, sampled), 1),
      encoding,
      keyExample,
      extrapolated10MBytes: Math.round(perKeyVariable * 10_000_000 + bucketArrayBytes(10_000_000)),
      serverConfig: writer.serverConfig ?? {},
    };
  } finally {
    for (const [name, value] of Object.entries(defaults)) await admin.config("SET", name, value);
    await admin.flushall("SYNC");
  }
}
