import { Cluster, Redis } from "ioredis";
import { createClient, createCluster, createSentinel } from "redis";
import { inject } from "vitest";
import { RedisStore, type RedisStoreOptions } from "../../src/redis/redis-session-store.js";
import { testNamespace } from "../support/browser.js";
import { describeStoreContract, type StoreUnderTest } from "./session-store.contract.js";

const { replicated, sentinel, cluster } = inject("redis");
const seeds = cluster.primaries.map((port) => `127.0.0.1:${port}`).join(",");

type Inspector = { pttl(key: string): Promise<number>; disconnect(): void };

/** A RedisStore on one topology, with a direct client on the primary side to read PTTLs. */
function storeOn(
  label: string,
  options: Omit<RedisStoreOptions, "namespace">,
  inspector: () => Inspector,
  cleanup = async () => {},
) {
  return async (): Promise<StoreUnderTest> => {
    const store = new RedisStore({ ...options, namespace: testNamespace(label) });
    await store.verify();
    const direct = inspector();
    return {
      store,
      pttl: (keyId) => direct.pttl(store.keys.sessionKey(keyId)),
      close: async () => {
        await store.close();
        direct.disconnect();
        await cleanup();
      },
    };
  };
}

const onPrimary = (port: number) => () => new Redis(port, "127.0.0.1");
const onCluster = () => () => new Cluster([{ host: "127.0.0.1", port: cluster.primaries[0] as number }]);

// ioredis, created by sessionkit from a URL
describeStoreContract(
  "primary + replica, ioredis from redis://",
  storeOn("t-repl", { redis: `redis://127.0.0.1:${replicated.primary}` }, onPrimary(replicated.primary)),
);
describeStoreContract(
  "primary + replica, ioredis, replica reads",
  storeOn(
    "t-repl-rr",
    {
      redis: `redis://127.0.0.1:${replicated.primary}?replica=127.0.0.1:${replicated.replica}`,
      replicaReads: true,
    },
    onPrimary(replicated.primary),
  ),
);
describeStoreContract(
  "Sentinel, ioredis from redis+sentinel://",
  storeOn(
    "t-sent",
    { redis: `redis+sentinel://127.0.0.1:${sentinel.sentinelPort}/mymaster` },
    onPrimary(sentinel.primary),
  ),
);
describeStoreContract(
  "Sentinel, ioredis, replica reads",
  storeOn(
    "t-sent-rr",
    { redis: `redis+sentinel://127.0.0.1:${sentinel.sentinelPort}/mymaster`, replicaReads: true },
    onPrimary(sentinel.primary),
  ),
);
describeStoreContract(
  "cluster 3+3, ioredis from redis+cluster://",
  storeOn("t-clu", { redis: `redis+cluster://${seeds}` }, onCluster()),
);
describeStoreContract(
  "cluster 3+3, ioredis, replica reads",
  storeOn("t-clu-rr", { redis: `redis+cluster://${seeds}`, replicaReads: true }, onCluster()),
);

// Clients the app created and hands in
describeStoreContract("cluster 3+3, an app's ioredis Cluster", async () => {
  const client = new Cluster([{ host: "127.0.0.1", port: cluster.primaries[1] as number }]);
  return storeOn("t-clu-app", { redis: client }, onCluster(), async () => void client.disconnect())();
});
describeStoreContract("primary + replica, an app's node-redis client", async () => {
  const client = createClient({ url: `redis://127.0.0.1:${replicated.primary}` });
  await client.connect();
  return storeOn("t-repl-nr", { redis: client }, onPrimary(replicated.primary), async () =>
    client.destroy(),
  )();
});
describeStoreContract("Sentinel, an app's node-redis Sentinel client", async () => {
  const client = createSentinel({
    name: "mymaster",
    sentinelRootNodes: [{ host: "127.0.0.1", port: sentinel.sentinelPort }],
  });
  await client.connect();
  return storeOn("t-sent-nr", { redis: client }, onPrimary(sentinel.primary), async () => client.destroy())();
});
describeStoreContract("cluster 3+3, an app's node-redis cluster", async () => {
  const client = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.primaries[2]}` }] });
  await client.connect();
  return storeOn("t-clu-nr", { redis: client }, onCluster(), async () => client.destroy())();
});
describeStoreContract("cluster 3+3, an app's node-redis cluster reading replicas", async () => {
  const client = createCluster({
    rootNodes: [{ url: `redis://127.0.0.1:${cluster.primaries[0]}` }],
    useReplicas: true,
  });
  await client.connect();
  return storeOn("t-clu-nr-rr", { redis: client, replicaReads: true }, onCluster(), async () =>
    client.destroy(),
  )();
});
