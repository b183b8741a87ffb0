import type { TestProject } from "vitest/node";
import { sweepStaleServers } from "../tools/redis-harness/redis-server.js";
import { startTopologies } from "../tools/redis-harness/topologies.js";

/** Starts standalone, primary+replica, Sentinel and a 3+3 cluster once for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = performance.now();
  await sweepStaleServers();
  const running = await startTopologies();
  project.provide("redis", running.topologies);
  const { standalone, replicated, sentinel, cluster } = running.topologies;
  console.log(
    `[redis] topologies ready in ${Math.round(performance.now() - startedAt)} ms ` +
      `(standalone ${standalone.port}, replicated ${replicated.primary}/${replicated.replica}, ` +
      `sentinel ${sentinel.sentinelPort}, cluster ${cluster.ports.join(",")})`,
  );
  return () => running.stop();
}
