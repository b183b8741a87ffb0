import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Cluster, Redis } from "ioredis";
import { createClient, createCluster } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SessionConfigError, SessionStoreError } from "../../src/common/errors.js";
import {
  HANDLE_PREFIX,
  RedisStore,
  type RedisStoreOptions,
  type RedisStoreSettings,
} from "../../src/compat/express-session/index.js";
import { hashSessionId } from "../../src/session/session-id.js";
import { type RedisServerHandle, startRedisServer } from "../../tools/redis-harness/redis-server.js";
import { Client } from "../adapters/client.js";
import { testNamespace } from "../support/browser.js";
import {
  COOKIE_MAX_AGE_MS,
  sidOf,
  startExpressSessionApp,
  storedSession,
} from "./express-session-support.js";

const { standalone, cluster } = inject("redis");

let counter = 0;
const newSid = () => `sid-${process.pid}-${Date.now()}-${counter++}-abcdefghijklmnop`;
const recordKey = (namespace: string, sid: string) => `sk:${namespace}:es:{${hashSessionId(sid)}}`;
const tombstoneKey = (namespace: string, sid: string) => `sk:${namespace}:es-gone:{${hashSessionId(sid)}}`;

interface Subject {
  store: RedisStore;
  namespace: string;
  close(): Promise<void>;
}

/** The store on each client it accepts; no connect-redis prefix, so listings see this namespace only. */
const clients: [string, (options: RedisStoreSettings) => Promise<Subject>][] = [
  [
    "an app's ioredis client",
    async (options) => {
      const client = new Redis(standalone.port, "127.0.0.1");
      const store = new RedisStore({ ...options, client });
      return { store, namespace: options.namespace ?? "", close: async () => client.disconnect() };
    },
  ],
  [
    "an app's node-redis client",
    async (options) => {
      const client = createClient({ url: standalone.url });
      await client.connect();
      const store = new RedisStore({ ...options, client });
      return { store, namespace: options.namespace ?? "", close: async () => client.destroy() };
    },
  ],
  [
    "a URL (sessionkit's own ioredis client)",
    async (options) => {
      const store = new RedisStore({ ...options, redis: standalone.url });
      return { store, namespace: options.namespace ?? "", close: () => store.close() };
    },
  ],
];

for (const [label, open] of clients) {
  describe(`express-session RedisStore on ${label}`, () => {
    let subject: Subject;
    let store: RedisStore;
    let redis: Redis;
    beforeAll(async () => {
      subject = await open({ namespace: testNamespace("es-store"), prefix: false });
      store = subject.store;
      redis = new Redis(standalone.port, "127.0.0.1");
    });
    afterAll(async () => {
      await subject?.close();
      redis?.disconnect();
    });

    it("stores under SHA-256 of the ID with the cookie's TTL, never the ID itself", async () => {
      const sid = newSid();
      await store.set(sid, storedSession({ user: "ann" }));
      expect(await store.get(sid)).toMatchObject({
        user: "ann",
        cookie: { originalMaxAge: COOKIE_MAX_AGE_MS },
      });
      const key = recordKey(subject.namespace, sid);
      expect(store.keyOf(sid)).toBe(key);
      expect(key).not.toContain(sid);
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(COOKIE_MAX_AGE_MS - 5000);
      expect(ttl).toBeLessThanOrEqual(COOKIE_MAX_AGE_MS);
    });

    it("answers callbacks the way express-session calls them", async () => {
      const sid = newSid();
      await new Promise<void>((resolve, reject) =>
        store.set(sid, storedSession({ n: 1 }), (error) => (error ? reject(error) : resolve())),
      );
      const got = await new Promise((resolve, reject) =>
        store.get(sid, (error, session) => (error ? reject(error) : resolve(session))),
      );
      expect(got).toMatchObject({ n: 1 });
      const missing = await new Promise((resolve) =>
        store.get(newSid(), (error, session) => resolve([error, session])),
      );
      expect(missing).toEqual([null, null]);
    });

    it("falls back to the ttl option without an expiry, never writes a key without a TTL", async () => {
      const browserSession = newSid();
      await store.set(browserSession, storedSession({}, null));
      expect(await redis.ttl(recordKey(subject.namespace, browserSession))).toBeGreaterThan(86_000);
      const unparsable = newSid();
      await store.set(unparsable, { cookie: { expires: "not a date" } });
      expect(await redis.ttl(recordKey(subject.namespace, unparsable))).toBeGreaterThan(86_000);
      const custom = new RedisStore({
        client: redis,
        namespace: subject.namespace,
        prefix: false,
        ttl: () => 30,
      });
      const sid = newSid();
      await custom.set(sid, storedSession());
      const ttl = await redis.ttl(recordKey(subject.namespace, sid));
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
    });

    it("deletes instead of writing when the cookie has already expired", async () => {
      const sid = newSid();
      await store.set(sid, storedSession({ a: 1 }));
      await store.set(sid, storedSession({ a: 2 }, -1000));
      expect(await store.get(sid)).toBeNull();
      expect(await redis.exists(recordKey(subject.namespace, sid))).toBe(0);
    });

    it("touch slides the TTL and never creates a record", async () => {
      const sid = newSid();
      await store.set(sid, storedSession());
      const key = recordKey(subject.namespace, sid);
      await redis.pexpire(key, 5000);
      await store.touch(sid, storedSession());
      expect(await redis.pttl(key)).toBeGreaterThan(COOKIE_MAX_AGE_MS - 5000);
      const absent = newSid();
      await store.touch(absent, storedSession());
      expect(await redis.exists(recordKey(subject.namespace, absent))).toBe(0);
      const quiet = new RedisStore({
        client: redis,
        namespace: subject.namespace,
        prefix: false,
        disableTouch: true,
      });
      await redis.pexpire(key, 5000);
      await quiet.touch(sid, storedSession());
      expect(await redis.pttl(key)).toBeLessThanOrEqual(5000);
    });

    it("touch keeps the session's new expiry (express-session's 'should reset session expiration')", async () => {
      const sid = newSid();
      await store.set(sid, storedSession({ user: "ann" }, 5_000));
      const later = storedSession({ user: "ann" }, COOKIE_MAX_AGE_MS);
      await store.touch(sid, later);
      const stored = (await store.get(sid)) as (ReturnType<typeof storedSession> & { user?: string }) | null;
      expect(stored?.cookie.expires).toBe(later.cookie.expires);
      expect(stored?.user).toBe("ann");
      expect(await redis.pttl(recordKey(subject.namespace, sid))).toBeGreaterThan(COOKIE_MAX_AGE_MS - 5000);
      // Never after logout: the tombstone refuses it, as it refuses a save.
      await store.destroy(sid);
      await store.touch(sid, later);
      expect(await store.get(sid)).toBeNull();
    });

    it("destroy leaves a tombstone that refuses a late save (no resurrection after logout)", async () => {
      const sid = newSid();
      await store.set(sid, storedSession({ user: "leaver" }));
      await store.destroy(sid);
      expect(await redis.exists(recordKey(subject.namespace, sid))).toBe(0);
      const tombstoneTtl = await redis.pttl(tombstoneKey(subject.namespace, sid));
      expect(tombstoneTtl).toBeGreaterThan(250_000);
      expect(tombstoneTtl).toBeLessThanOrEqual(300_000);
      // A request that loaded the session before the logout saves after it.
      await store.set(sid, storedSession({ user: "leaver", late: true }));
      expect(await store.get(sid)).toBeNull();
      expect(await redis.exists(recordKey(subject.namespace, sid))).toBe(0);
    });

    it("treats bad data as no session and removes it (never a 500 for ever)", async () => {
      const corruptions: [string, (key: string) => Promise<unknown>][] = [
        ["not JSON", (key) => redis.set(key, "{not json", "PX", 60_000)],
        ["no cookie", (key) => redis.set(key, JSON.stringify({ user: "x" }), "PX", 60_000)],
        ["JSON null", (key) => redis.set(key, "null", "PX", 60_000)],
        ["a hash", (key) => redis.hset(key, "a", "b")],
      ];
      for (const [what, corrupt] of corruptions) {
        const sid = newSid();
        const key = recordKey(subject.namespace, sid);
        await corrupt(key);
        expect(await store.get(sid), what).toBeNull();
        expect(await redis.exists(key), what).toBe(0);
      }
    });

    it("lists, counts and clears the namespace by key hash, in SCAN batches, without the IDs", async () => {
      const listing = await open({ namespace: testNamespace("es-list"), prefix: false, scanCount: 2 });
      try {
        const sids = Array.from({ length: 7 }, newSid);
        for (const [i, sid] of sids.entries()) await listing.store.set(sid, storedSession({ i }));
        const handles = sids.map((sid) => HANDLE_PREFIX + hashSessionId(sid));
        expect((await listing.store.ids()).sort()).toEqual([...handles].sort());
        expect(await listing.store.length()).toBe(7);
        const all = await listing.store.all();
        expect(all.map((s) => s.id).sort()).toEqual([...handles].sort());
        expect(all.find((s) => s.id === handles[3])).toMatchObject({ i: 3 });
        // An id from a listing destroys the session; it never loads one (it is not the ID).
        await listing.store.destroy(handles[0] as string);
        expect(await listing.store.get(sids[0] as string)).toBeNull();
        expect(await listing.store.get(handles[1] as string)).toBeNull();
        const length = await new Promise((resolve) =>
          listing.store.length((error, n) => resolve([error, n])),
        );
        expect(length).toEqual([null, 6]);
        await new Promise<void>((resolve, reject) =>
          listing.store.clear((error) => (error ? reject(error) : resolve())),
        );
        expect(await listing.store.length()).toBe(0);
        // Cleared sessions are tombstoned like destroyed ones: a request in flight cannot save them back.
        await listing.store.set(sids[5] as string, storedSession({ back: true }));
        expect(await listing.store.get(sids[5] as string)).toBeNull();
      } finally {
        await listing.close();
      }
    });

    it("serves express-session's middleware: login, touch, logout racing a slow save", async () => {
      const app = await startExpressSessionApp(store);
      try {
        const client = new Client(app.transport);
        const login = await client.post("/login?user=ann");
        expect(login.status).toBe(303);
        const sid = sidOf(client);
        expect((await client.get("/session")).json()).toEqual({ data: { user: "ann" }, sid });
        const key = recordKey(subject.namespace, sid);
        // An unmodified request touches (resave: false): the TTL slides back to the cookie's.
        await redis.pexpire(key, 5000);
        await client.get("/session");
        expect(await redis.pttl(key)).toBeGreaterThan(COOKIE_MAX_AGE_MS - 5000);
        // express-session saves the whole object at the end of the slow request, after the logout.
        const slow = client.post("/set?delay=150&late=1");
        await new Promise((resolve) => setTimeout(resolve, 40));
        expect((await client.post("/logout")).status).toBe(303);
        await slow;
        expect(await redis.exists(key)).toBe(0);
        const again = await new Client(app.transport).get("/session", {
          cookie: `connect.sid=${encodeURIComponent(`s:${sid}`)}`,
        });
        expect(again.json<{ data: unknown }>().data).toEqual({});
      } finally {
        await app.close();
      }
    });
  });
}

describe("express-session RedisStore options", () => {
  const client = () => new Redis(standalone.port, "127.0.0.1", { lazyConnect: true });

  it("refuses configurations that would break its rules, at construction", () => {
    const cases: [string, RedisStoreOptions, RegExp][] = [
      ["no client", {} as RedisStoreOptions, /client .* or redis .* is required/],
      [
        "both",
        { client: client(), redis: standalone.url } as unknown as RedisStoreOptions,
        /either client or redis/,
      ],
      ["disableTTL", { client: client(), disableTTL: true as false }, /every session key has a TTL/],
      ["empty prefix", { client: client(), prefix: "" }, /non-empty/],
      ["prefix over own keys", { client: client(), prefix: "sk:" }, /sessionkit's own keys/],
      ["ttl 0", { client: client(), ttl: 0 }, /ttl must be/],
      ["scanCount", { client: client(), scanCount: 0.5 }, /scanCount/],
      ["timeout", { client: client(), commandTimeout: 0 }, /commandTimeout/],
      ["namespace", { client: client(), namespace: "a b" }, /namespace/],
      ["bad URL", { redis: "http://localhost" }, /URL/],
    ];
    for (const [what, options, message] of cases) {
      expect(() => new RedisStore(options), what).toThrow(SessionConfigError);
      expect(() => new RedisStore(options), what).toThrow(message);
    }
  });
});

describe("express-session RedisStore with Redis frozen", () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer({ name: "es-store-outage" });
  });
  afterAll(() => server?.stop());

  it("fails every call within the command timeout with a 503 error, and works again after", async () => {
    const store = new RedisStore({
      redis: server.url,
      commandTimeout: 300,
      namespace: testNamespace("es-outage"),
    });
    const app = await startExpressSessionApp(store);
    try {
      const client = new Client(app.transport);
      await client.post("/login?user=frozen");
      const sid = sidOf(client);
      process.kill(server.pid, "SIGSTOP");
      try {
        const started = performance.now();
        const [viaMiddleware, get, callback] = await Promise.all([
          client.get("/session"),
          store.get(sid).catch((error: unknown) => error),
          new Promise((resolve) => store.set(newSid(), storedSession(), (error) => resolve(error))),
        ]);
        expect(performance.now() - started).toBeLessThan(2300);
        // express-session passes the store's error to next(): the app's handler answers its status.
        expect(viaMiddleware.status).toBe(503);
        expect(viaMiddleware.json()).toEqual({ code: "SESSION_STORE_TIMEOUT" });
        expect(get).toBeInstanceOf(SessionStoreError);
        expect(callback).toBeInstanceOf(SessionStoreError);
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
      await expect
        .poll(async () => (await client.get("/session")).json<{ data: unknown }>().data, { timeout: 5000 })
        .toEqual({ user: "frozen" });
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe("express-session RedisStore on a cluster", () => {
  const seed = { host: "127.0.0.1", port: cluster.primaries[0] as number };
  type ClusterClient = NonNullable<RedisStoreOptions["client"]>;
  const cases: [string, () => Promise<{ client: ClusterClient; close(): Promise<void> }>][] = [
    [
      "ioredis Cluster",
      async () => {
        const client = new Cluster([seed]);
        return { client, close: async () => client.disconnect() };
      },
    ],
    [
      "node-redis cluster",
      async () => {
        const client = createCluster({ rootNodes: [{ url: `redis://${seed.host}:${seed.port}` }] });
        await client.connect();
        return { client, close: async () => client.destroy() };
      },
    ],
  ];
  for (const [label, connect] of cases) {
    it(`${label}: every command stays in one slot, and listings walk every primary`, async () => {
      const { client, close } = await connect();
      try {
        const store = new RedisStore({ client, namespace: testNamespace("es-cluster"), prefix: false });
        const sids = Array.from({ length: 12 }, newSid);
        await Promise.all(sids.map((sid, i) => store.set(sid, storedSession({ i }))));
        expect((await store.get(sids[4] as string)) as unknown).toMatchObject({ i: 4 });
        await store.destroy(sids[0] as string);
        await store.set(sids[0] as string, storedSession({ back: true }));
        expect(await store.get(sids[0] as string)).toBeNull();
        expect(await store.length()).toBe(11);
        await store.clear();
        expect(await store.length()).toBe(0);
      } finally {
        await close();
      }
    });
  }
});

describe("express-session's callbacks", () => {
  it("an exception thrown by the callback is an uncaught exception, not an unhandled rejection", async () => {
    const { standalone } = inject("redis");
    const child = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "test/support/callback-throws-probe.ts", standalone.url, testNamespace("callback")],
      { timeout: 20_000 },
    ).catch((error: { code?: number; stdout?: string }) => error);
    expect((child as { code?: number }).code).toBe(4);
    expect((child as { stdout?: string }).stdout).toContain("uncaughtException thrown by the app's callback");
  });
});

describe("the express-session store says why it cannot serve", () => {
  it("a wrong password: logged (once per cause), and onDiagnostic hears it", async () => {
    const logged: string[] = [];
    const heard: string[] = [];
    const store = new RedisStore({
      redis: `redis://nobody:wrong-password@127.0.0.1:${standalone.port}`,
      namespace: testNamespace("compat-logger"),
      logger: { warn: (line) => logged.push(line), error: (line) => logged.push(line) },
      onDiagnostic: (diagnostic) => heard.push(diagnostic.code),
    });
    try {
      const error = await new Promise<unknown>((resolve) => store.get("some-id", (e) => resolve(e)));
      expect(error).toMatchObject({ code: "SESSION_STORE_AUTH" });
      expect(heard).toContain("SESSION_REDIS_CONNECTION_ERROR");
      expect(logged.length).toBeGreaterThanOrEqual(1);
      expect(logged.join("\n")).toMatch(/SESSION_REDIS_CONNECTION_ERROR.*(WRONGPASS|password)/i);
      expect(logged.join("\n")).not.toContain("wrong-password");
    } finally {
      await store.close();
    }
  });
});
