import { Redis } from "ioredis";
import { Valkey } from "iovalkey";
import { createClient } from "redis";
import { inject } from "vitest";
import { RedisStore } from "../../src/redis/redis-session-store.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { testNamespace } from "../support/browser.js";
import { describeStoreContract } from "./session-store.contract.js";

const { standalone } = inject("redis");

describeStoreContract("MemoryStore", async () => {
  const store = new MemoryStore();
  return { store, pttl: async (k) => store.ttlMs(k), close: () => store.close() };
});

describeStoreContract("RedisStore from a URL (ioredis created by sessionkit)", async () => {
  const store = new RedisStore({ redis: standalone.url, namespace: testNamespace("contract-url") });
  const inspector = new Redis(standalone.port, "127.0.0.1");
  return {
    store,
    pttl: (k) => inspector.pttl(store.keys.sessionKey(k)),
    close: async () => {
      await store.close();
      inspector.disconnect();
    },
  };
});

describeStoreContract("RedisStore on an app's ioredis client", async () => {
  const client = new Redis(standalone.port, "127.0.0.1");
  const store = new RedisStore({ redis: client, namespace: testNamespace("contract-ioredis") });
  return {
    store,
    pttl: (k) => client.pttl(store.keys.sessionKey(k)),
    close: async () => {
      await store.close();
      client.disconnect();
    },
  };
});

describeStoreContract("RedisStore on an app's node-redis client", async () => {
  const client = createClient({ url: standalone.url });
  await client.connect();
  const store = new RedisStore({ redis: client, namespace: testNamespace("contract-node-redis") });
  return {
    store,
    pttl: (k) => client.pTTL(store.keys.sessionKey(k)),
    close: async () => {
      await store.close();
      client.destroy();
    },
  };
});

describeStoreContract(
  "RedisStore on an app's iovalkey client (the ioredis fork for Valkey; Redis serves here)",
  async () => {
    const client = new Valkey(standalone.port, "127.0.0.1");
    const store = new RedisStore({ redis: client, namespace: testNamespace("contract-iovalkey") });
    return {
      store,
      pttl: (k) => client.pttl(store.keys.sessionKey(k)),
      close: async () => {
        await store.close();
        client.disconnect();
      },
    };
  },
);
