import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessionManager, type SessionOptions } from "../../src/create-session-manager.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { createTempDir, redisCommand, removeTempDir } from "../../tools/redis-harness/redis-server.js";
import { createTestCertificates, type TestCertificates } from "../../tools/redis-harness/tls.js";
import {
  type DedicatedTopology,
  startDedicatedTopology,
  type Topologies,
} from "../../tools/redis-harness/topologies.js";
import { TEST_SECRET, testNamespace } from "../support/browser.js";

/**
 * rediss+cluster:// and rediss+sentinel:// against real TLS-only servers (`--port 0 --tls-port`): a 3+3
 * cluster with a TLS cluster bus and TLS replication, and a primary + replica watched by a Sentinel that
 * itself listens on TLS only. Every server presents a certificate for "redis.internal" (not for
 * 127.0.0.1) from a private CA and asks clients for a certificate of that CA (tls-auth-clients yes), so
 * each connection sessionkit opens (seed probe, every cluster node, Sentinel, the primary Sentinel names)
 * needs the whole `tls` option: ca, cert, key and servername.
 */
describe("TLS cluster and Sentinel", () => {
  let dir: string;
  let certs: TestCertificates;
  let cluster: DedicatedTopology<Topologies["cluster"]>;
  let sentinel: DedicatedTopology<Topologies["sentinel"]>;
  beforeAll(async () => {
    dir = await createTempDir();
    certs = await createTestCertificates(dir);
    const [c, s] = await Promise.allSettled([
      startDedicatedTopology("cluster", { tls: certs }),
      startDedicatedTopology("sentinel", { tls: certs }),
    ]);
    if (c.status === "fulfilled") cluster = c.value;
    if (s.status === "fulfilled") sentinel = s.value;
    for (const r of [c, s]) if (r.status === "rejected") throw r.reason;
  });
  afterAll(async () => {
    await Promise.all([cluster?.stop(), sentinel?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  const clientTls = () => ({ ca: certs.ca, cert: certs.cert, key: certs.key, servername: certs.servername });
  const clusterUrl = () => `rediss+cluster://127.0.0.1:${cluster.topology.primaries[0]}`;
  const sentinelUrl = () => `rediss+sentinel://127.0.0.1:${sentinel.topology.sentinelPort}/mymaster`;

  async function attempt(
    redis: string,
    tls: object,
    extra: Partial<SessionOptions> = {},
  ): Promise<{ manager: SessionManager; error: unknown; ms: number; namespace: string }> {
    const namespace = testNamespace("tls-topo");
    const manager = createSessionManager({
      redis,
      secret: TEST_SECRET,
      namespace,
      commandTimeout: 500,
      logger: false,
      tls,
      ...extra,
    });
    const startedAt = performance.now();
    const error = await manager.ready().then(
      () => null,
      (e: unknown) => e,
    );
    return { manager, error, ms: performance.now() - startedAt, namespace };
  }

  /** Writes `count` sessions and reads each back with its cookie. */
  async function roundTrip(manager: SessionManager, count: number): Promise<void> {
    const cookies = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const session = await manager.load({ cookieHeader: undefined, secure: true });
        (session as unknown as Record<string, unknown>).user = `user-${i}`;
        return ((await manager.commit(session)) as string | undefined)?.split(";")[0];
      }),
    );
    const users = await Promise.all(
      cookies.map(async (cookie) => {
        const again = (await manager.load({ cookieHeader: cookie, secure: true })) as unknown as {
          user?: string;
        };
        return again.user;
      }),
    );
    expect(users).toEqual(Array.from({ length: count }, (_, i) => `user-${i}`));
  }

  it("cluster: ready(), then sessions written and read on every primary", async () => {
    const { manager, error, namespace } = await attempt(clusterUrl(), clientTls());
    try {
      expect(error).toBeNull();
      await roundTrip(manager, 24);
      // 24 random ids over 3 primaries: each holds some (the chance that one holds none is ~1e-4).
      const perPrimary = await Promise.all(
        cluster.topology.primaries.map(
          async (port) => ((await redisCommand(port, "KEYS", `*${namespace}*`)) as unknown[]).length,
        ),
      );
      expect(
        perPrimary.every((n) => n > 0),
        `keys per primary: ${perPrimary.join(", ")}`,
      ).toBe(true);
    } finally {
      await manager.close();
    }
  });

  it("cluster: replica reads over TLS too", async () => {
    const { manager, error } = await attempt(clusterUrl(), clientTls(), { replicaReads: true });
    try {
      expect(error).toBeNull();
      await roundTrip(manager, 6);
    } finally {
      await manager.close();
    }
  });

  it("sentinel: ready(), then sessions written and read on the primary Sentinel names", async () => {
    const { manager, error, namespace } = await attempt(sentinelUrl(), clientTls());
    try {
      expect(error).toBeNull();
      await roundTrip(manager, 6);
      const keys = (await redisCommand(sentinel.topology.primary, "KEYS", `*${namespace}*`)) as unknown[];
      expect(keys.length).toBeGreaterThanOrEqual(6);
    } finally {
      await manager.close();
    }
  });

  it("sentinel: replica reads over TLS too", async () => {
    const { manager, error } = await attempt(sentinelUrl(), clientTls(), { replicaReads: true });
    try {
      expect(error).toBeNull();
      await roundTrip(manager, 3);
    } finally {
      await manager.close();
    }
  });

  it("names the TLS failure at once: no CA, no servername (cluster, Sentinel)", async () => {
    const { ca: _ca, ...withoutCa } = clientTls();
    const { servername: _name, ...withoutName } = clientTls();
    for (const [tls, why] of [
      [withoutCa, /self[- ]signed|unable to (get|verify)/i],
      [withoutName, /altnames|Hostname\/IP/i],
    ] as const) {
      for (const redis of [clusterUrl(), sentinelUrl()]) {
        const { manager, error, ms } = await attempt(redis, tls);
        try {
          expect(error, redis).toMatchObject({
            code: "SESSION_STORE_TLS",
            message: expect.stringMatching(why),
          });
          // A settled cause: ready() does not wait out its 5 s for a Redis that is still starting.
          expect(ms, redis).toBeLessThan(2500);
        } finally {
          await manager.close();
        }
      }
    }
  });
});
