import { Cluster } from "ioredis";
import { inject } from "vitest";

/** How a test reaches one of the run's shared topologies through the demo fixture. */
export interface TopologyCase {
  name: string;
  /** A node for the fixture's inspector. */
  port: number;
  /** What the app is given as `redis`. */
  url: string;
  /** The inspector client: a cluster needs a Cluster client. */
  inspector: (() => Cluster) | undefined;
}

/** Standalone and the 3 + 3 cluster: the two topologies the index and event tests run on. */
export function standaloneAndCluster(): TopologyCase[] {
  const { standalone, cluster } = inject("redis");
  const seed = cluster.primaries[0] as number;
  return [
    { name: "standalone", port: standalone.port, url: standalone.url, inspector: undefined },
    {
      name: "cluster 3+3",
      port: seed,
      url: `redis+cluster://127.0.0.1:${seed}`,
      inspector: () => new Cluster([{ host: "127.0.0.1", port: seed }]),
    },
  ];
}
