import { createServer } from "node:http";
import { type Cluster, Redis } from "ioredis";
import { createDemoApp, watchEvents } from "../../demo/app.js";
import { session } from "../../src/adapters/express/index.js";
import type { SessionOptions } from "../../src/create-session-manager.js";
import type { RedisStore } from "../../src/redis/redis-session-store.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "./browser.js";

export interface DemoFixture {
  baseUrl: string;
  namespace: string;
  store: RedisStore;
  manager: SessionManager;
  /** A separate client for looking at Redis directly. */
  redis: Redis | Cluster;
  browser(): Browser;
  redisKey(keyHash: string): string;
  /** Every session key of this fixture's namespace, found by SCAN on every primary. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

/** The demo app (the HTTP contract of issue 2) on a real Redis, in a namespace of its own. */
export async function startDemoFixture(
  redisPort: number,
  label: string,
  options: Partial<SessionOptions> = {},
  /** The client that reads PTTLs for the demo page; a cluster needs a Cluster client. */
  inspector: () => Redis | Cluster = () => new Redis(redisPort, "127.0.0.1"),
): Promise<DemoFixture> {
  const namespace = testNamespace(label);
  const sessions = session({
    redis: `redis://127.0.0.1:${redisPort}`,
    secret: TEST_SECRET,
    namespace,
    ...options,
  });
  const store = sessions.manager.store as RedisStore;
  const redis = inspector();
  // The inspector only serves the page; its reconnect errors during failure tests are expected noise.
  redis.on("error", () => {});
  const events = watchEvents(sessions.manager);
  const app = createDemoApp(
    sessions,
    {
      storeLabel: "test",
      inspect: async (keyHash) => {
        const key = store.keys.sessionKey(keyHash);
        return { key, ttlMs: await redis.pttl(key) };
      },
    },
    events,
  );
  const server = await listen(createServer(app));
  return {
    baseUrl: server.baseUrl,
    namespace,
    store,
    manager: sessions.manager,
    redis,
    browser: () => new Browser(server.baseUrl),
    redisKey: (keyHash) => store.keys.sessionKey(keyHash),
    keys: async () => {
      // SCAN may return a key more than once: collect into a set.
      const found = new Set<string>();
      for await (const batch of store.scanSessionKeys()) for (const key of batch) found.add(key);
      return [...found];
    },
    close: async () => {
      await server.close();
      await events?.stop();
      await sessions.close();
      redis.disconnect();
    },
  };
}
