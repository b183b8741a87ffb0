import { createServer } from "node:http";
import { Redis } from "ioredis";
import { createDemoApp } from "../../demo/app.js";
import { session } from "../../src/adapters/express/index.js";
import type { SessionOptions } from "../../src/core/session-options.js";
import type { RedisStore } from "../../src/store/redis-store.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "./browser.js";

export interface DemoFixture {
  baseUrl: string;
  namespace: string;
  store: RedisStore;
  /** A separate client for looking at Redis directly. */
  redis: Redis;
  browser(): Browser;
  redisKey(keyHash: string): string;
  /** Every key of this fixture's namespace, found by SCAN. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

/** The demo app (the HTTP contract of issue 2) on a real Redis, in a namespace of its own. */
export async function startDemoFixture(
  redisPort: number,
  label: string,
  options: Partial<SessionOptions> = {},
): Promise<DemoFixture> {
  const namespace = testNamespace(label);
  const sessions = session({
    redis: `redis://127.0.0.1:${redisPort}`,
    secret: TEST_SECRET,
    namespace,
    ...options,
  });
  const store = sessions.manager.store as RedisStore;
  const redis = new Redis(redisPort, "127.0.0.1");
  const app = createDemoApp(sessions, {
    storeLabel: "test",
    inspect: async (keyHash) => {
      const key = store.keys.sessionKey(keyHash);
      return { key, ttlMs: await redis.pttl(key) };
    },
  });
  const server = await listen(createServer(app));
  return {
    baseUrl: server.baseUrl,
    namespace,
    store,
    redis,
    browser: () => new Browser(server.baseUrl),
    redisKey: (keyHash) => store.keys.sessionKey(keyHash),
    keys: async () => {
      const found = new Set<string>();
      let cursor = "0";
      do {
        const [next, batch] = await redis.scan(
          cursor,
          "MATCH",
          `${store.keys.namespacePrefix}*`,
          "COUNT",
          500,
        );
        cursor = next;
        // SCAN may return a key more than once: collect into a set.
        for (const k of batch) found.add(k);
      } while (cursor !== "0");
      return [...found];
    },
    close: async () => {
      await server.close();
      await sessions.close();
      redis.disconnect();
    },
  };
}
