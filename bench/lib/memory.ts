/**
 * Redis memory per session for the same payload (user, counter, ~1 KB cart), at the server's defaults:
 * - sessionkit, written through its own SessionManager and RedisStore (the real create path: key layout
 *   "sk:default:s:{<22-char hash>}", packed STRING record, sealed values, TTL);
 * - connect-redis, written through its own store.set with the session object express-session hands it
 *   (the data plus express-session's cookie object).
 * Each case starts from an empty Redis and reads INFO used_memory before and after, and MEMORY USAGE
 * (SAMPLES 0: exact), OBJECT ENCODING and the key length of sampled keys.
 */
import { randomBytes } from "node:crypto";
import { RedisStore as ConnectRedisStore } from "connect-redis";
import expressSession from "express-session";
import type { Redis } from "ioredis";
import { createClient } from "redis";
import type * as Manager from "../../src/create-session-manager.js";
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
  /** Characters of a sampled key (Redis keeps keys of up to 44 characters in a 48-byte allocation). */
  keyLength: number;
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
function sessionkitWriter(redisUrl: string): Writer {
  return {
    id: "sessionkit",
    label: 'sessionkit (STRING "sk:default:s:{<hash>}", packed record)',
    async open() {
      const { createSessionManager } = await builtModule<typeof Manager>("create-session-manager");
      const manager = createSessionManager({ redis: redisUrl, secret: BENCH_SECRET });
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

/** The cases measured with `--memory-sessions` sessions each; `big`: also loaded with `--memory-big`. */
export function memoryWriters(redisUrl: string): (Writer & { big: boolean })[] {
  return [
    { ...sessionkitWriter(redisUrl), big: true },
    { ...connectRedisWriter(redisUrl), big: true },
  ];
}

/**
 * used_memory with the slow log emptied first. Redis keeps the last 128 commands that ran longer than
 * 10 ms with their arguments (up to 32, each cut at 128 bytes): bounded, and no part of a session's cost,
 * but on this VM a few stalls per 100,000 writes land there, and a logged sessionkit write (EVALSHA with
 * the record's fields, ~1.2 KB an entry) weighs more than a logged SET (~0.5 KB). With 1,000,000 writes
 * the log filled up and made sessionkit ~150 KB heavier in total, run after run.
 */
async function usedMemoryWithoutSlowLog(admin: Redis): Promise<number> {
  await admin.slowlog("RESET");
  const info = await admin.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/**
 * Waits until only the admin connection is left: a client that just sent QUIT is freed by the server a
 * little later, and its buffers (a query buffer grown by 512 pipelined 1 KB writes) would be counted.
 */
async function writerClientsGone(admin: Redis): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const info = await admin.info("clients");
    if (Number(/connected_clients:(\d+)/.exec(info)?.[1]) <= 1) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
    // One session first, then emptied: what a server keeps once, not per session (the write script in
    // the script cache, allocator arenas), stays out of the per-session figure, for every case alike.
    await runWriter(writer, 1);
    await writerClientsGone(admin);
    await admin.flushall("SYNC");
    const before = await usedMemoryWithoutSlowLog(admin);
    const started = Date.now();
    await runWriter(writer, sessions);
    await writerClientsGone(admin);
    const after = await usedMemoryWithoutSlowLog(admin);
    const dbsize = await admin.dbsize();
    if (dbsize !== sessions) throw new Error(`${writer.id}: expected ${sessions} keys, found ${dbsize}`);
    let usageSum = 0;
    let sampled = 0;
    let encoding = "";
    let keyExample = "";
    let keyLength = 0;
    for (let i = 0; i < SAMPLE_KEYS; i++) {
      const key = await admin.randomkey();
      if (key === null) break;
      usageSum += Number(await admin.memory("USAGE", key, "SAMPLES", 0));
      sampled++;
      if (i === 0) {
        encoding = `${await admin.type(key)} ${await admin.object("ENCODING", key)}`;
        keyLength = key.length;
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
      keyLength,
      extrapolated10MBytes: Math.round(perKeyVariable * 10_000_000 + bucketArrayBytes(10_000_000)),
      serverConfig: writer.serverConfig ?? {},
    };
  } finally {
    for (const [name, value] of Object.entries(defaults)) await admin.config("SET", name, value);
    await admin.flushall("SYNC");
  }
}
