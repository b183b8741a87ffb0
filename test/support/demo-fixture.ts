import { createServer } from "node:http";
import { type Cluster, Redis } from "ioredis";
import { createDemoApp, watchEvents } from "../../demo/app.js";
import { session } from "../../src/adapters/express/index.js";
import type { SessionOptions } from "../../src/create-session-manager.js";
import type { RedisSessionStore } from "../../src/redis/redis-session-store.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "./browser.js";

export interface DemoFixture {
  baseUrl: string;
  namespace: string;
  store: RedisSessionStore;
  manager: SessionManager;
  /** The test's own client for looking at Redis directly. */
  redis: Redis | Cluster;
  browser(): Browser;
  redisKey(keyId: string): string;
  /** Every session key of this fixture's namespace, found by SCAN on every primary. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

/** The demo app (the HTTP contract of issue 2) on a real Redis, in a namespace of its own. */
export async function startDemoFixture(
  redisPort: number,
  label: string,
  options: Partial<SessionOptions> = {},
  /** The test's own client for looking at Redis directly; a cluster needs a Cluster client. */
  inspector: () => Redis | Cluster = () => new Redis(redisPort, "127.0.0.1"),
): Promise<DemoFixture> {
  const namespace = testNamespace(label);
  const sessions = session({
    redis: `redis://127.0.0.1:${redisPort}`,
    secret: TEST_SECRET,
    namespace,
    ...options,
  });
  const store = sessions.manager.store as RedisSessionStore;
  const redis = inspector();
  // The inspector only serves the page; its reconnect errors during failure tests are expected noise.
  redis.on("error", () => {});
  const events = watchEvents(sessions.manager);
  const app = createDemoApp(sessions, "test", events);
  const server = await listen(createServer(app));
  return {
    baseUrl: server.baseUrl,
    namespace,
    store,
    manager: sessions.manager,
    redis,
    browser: () => new Browser(server.baseUrl),
    redisKey: (keyId) => store.keys.sessionKey(keyId),
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
