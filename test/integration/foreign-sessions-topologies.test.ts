import { Redis } from "ioredis";
import { createClient } from "redis";
import { describe, expect, inject, it } from "vitest";
import { ErrorCodes, type SessionError } from "../../src/common/errors.js";
import { django } from "../../src/interop/django.js";
import type { ForeignFormat } from "../../src/interop/foreign-format.js";
import { createForeignSessions, type ForeignSessionsOptions } from "../../src/interop/foreign-sessions.js";
import { ForeignBytes, PyDateTime } from "../../src/interop/foreign-value.js";
import { createSpringSessions, SPRING_PRINCIPAL_NAME_ATTRIBUTE, spring } from "../../src/interop/index.js";
import { rails } from "../../src/interop/rails.js";

const { standalone, sentinel, cluster } = inject("redis");

/** The operations on one topology or client: bytes that are not UTF-8 survive the text seam. */
async function exercise(redis: ForeignSessionsOptions["redis"], namespace: string) {
  const formats: ForeignFormat[] = [
    rails({ store: "cache", namespace, expireAfter: "1h" }),
    django({ keyPrefix: namespace }),
  ];
  for (const format of formats) {
    const sessions = createForeignSessions(format, { redis, logger: false });
    try {
      const binary = new ForeignBytes(Uint8Array.from({ length: 256 }, (_, i) => i));
      const id = await sessions.create({ user: "Zoë", binary, at: new PyDateTime(2026, 1, 2).toDate() });
      expect(await sessions.update(id, { visits: 1 })).toBe(true);
      const data = (await sessions.get(id)) ?? {};
      expect(data.user).toBe("Zoë");
      expect(data.visits).toBe(1);
      expect((data.binary as ForeignBytes).bytes).toEqual(binary.bytes);
      await sessions.destroy(id);
      expect(await sessions.get(id)).toBeUndefined();
      expect(await sessions.update(id, { late: true })).toBe(false);
    } finally {
      await sessions.close();
    }
  }
  // Spring: a hash of Java-serialized values (binary from the first byte), and the indexed repository's
  // keys in other slots.
  for (const attributes of ["jdk", "json"] as const) {
    const sessions = createSpringSessions(
      spring({ attributes, namespace: `${namespace}:spring`, indexed: true }),
      {
        redis,
        logger: false,
      },
    );
    try {
      const binary = new ForeignBytes(Uint8Array.from({ length: 256 }, (_, i) => i));
      const cookie = await sessions.create({ [SPRING_PRINCIPAL_NAME_ATTRIBUTE]: "zoë", binary, n: 2 ** 40 });
      expect(await sessions.update(cookie, { visits: 1 })).toBe(true);
      const data = (await sessions.get(cookie)) ?? {};
      expect([data.visits, data.n]).toEqual([1, 2 ** 40]);
      expect((data.binary as ForeignBytes).bytes).toEqual(binary.bytes);
      expect((await sessions.findByPrincipalName("zoë")).map((found) => found.cookieValue)).toEqual([cookie]);
      await sessions.destroy(cookie);
      expect(await sessions.get(cookie)).toBeUndefined();
      expect(await sessions.findByPrincipalName("zoë")).toEqual([]);
    } finally {
      await sessions.close();
    }
  }
}

describe("foreign sessions on every topology and client", () => {
  it("standalone, through an app's ioredis client", async () => {
    const client = new Redis(standalone.port);
    try {
      await exercise(client, `t-topo-io-${process.pid}`);
    } finally {
      client.disconnect();
    }
  });

  it("standalone, through an app's node-redis client", async () => {
    const client = createClient({ url: standalone.url });
    await client.connect();
    try {
      await exercise(client as never, `t-topo-nr-${process.pid}`);
    } finally {
      await client.close();
    }
  });

  it("Sentinel URL", async () => {
    await exercise(
      `redis+sentinel://127.0.0.1:${sentinel.sentinelPort}/${sentinel.masterName}`,
      `t-topo-s-${process.pid}`,
    );
  });

  it("Cluster URL (one key per session, so one slot per script)", async () => {
    await exercise(`redis+cluster://127.0.0.1:${cluster.primaries[0]}`, `t-topo-c-${process.pid}`);
  });

  it("a change past maxRecordBytes is refused whole (413), and nothing is written", async () => {
    const sessions = createForeignSessions(django({ keyPrefix: `t-topo-max-${process.pid}` }), {
      redis: standalone.url,
      maxRecordBytes: 1000,
      logger: false,
    });
    try {
      const id = await sessions.create({ a: 1 });
      const error = (await sessions
        .update(id, { big: "x".repeat(2000) })
        .catch((e: unknown) => e)) as SessionError;
      expect([error.code, error.status]).toEqual([ErrorCodes.TOO_LARGE, 413]);
      expect(await sessions.get(id)).toEqual({ a: 1 });
    } finally {
      await sessions.close();
    }
  });

  it("nothing listening: an honest store error within the timeout, not a hang", async () => {
    const sessions = createForeignSessions(rails({ store: "cache" }), {
      redis: "redis://127.0.0.1:1",
      commandTimeoutMs: 300,
      logger: false,
    });
    try {
      const error = (await sessions.get("0".repeat(32)).catch((e: unknown) => e)) as SessionError;
      expect([ErrorCodes.STORE_UNREACHABLE, ErrorCodes.STORE_TIMEOUT]).toContain(error.code);
    } finally {
      await sessions.close();
    }
  });
});
