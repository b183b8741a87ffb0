import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expireIfDueScript } from "../../src/events/event-scripts.js";
import { packRecord } from "../../src/redis/packed-record.js";
import { listPrincipalScript } from "../../src/redis/session-scripts.js";
import { expiryOf, MetaField, sessionDeadline } from "../../src/store/record-meta.js";
import { testNamespace } from "../support/browser.js";

const { standalone } = inject("redis");

/**
 * The deadline formula exists once in TypeScript (store/record-meta.ts) and, because Redis must decide it
 * inside scripts, in two Lua scripts: the principal list (alive or pruned) and the expiry sweeper (alive,
 * or expired and why). These run all three on the same records, including both edges of each deadline.
 */
describe("deadline formula: TypeScript and Lua agree", () => {
  let redis: Redis;
  const prefix = `${testNamespace("deadline")}:`;

  beforeAll(() => {
    redis = new Redis(standalone.port, "127.0.0.1");
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  /** Records around every edge: the idle deadline, the absolute one, both equal, both far. */
  interface Case {
    lastAccessAt: number;
    absoluteDeadline: number;
    /** The manager's idle timeout. */
    idleTimeoutMs: number;
    /** The session's own ("remember me"), stored in the record. */
    ownIdleTimeoutMs?: number;
    now: number;
  }

  function cases(): Case[] {
    const out: Case[] = [];
    const base = 1_790_000_000_000;
    for (const idleTimeoutMs of [1, 1000, 3_600_000]) {
      for (const absoluteOffset of [
        -1000,
        -1,
        0,
        1,
        idleTimeoutMs - 1,
        idleTimeoutMs,
        idleTimeoutMs + 1,
        1e9,
      ]) {
        const lastAccessAt = base;
        const absoluteDeadline = base + absoluteOffset;
        const deadline = Math.min(lastAccessAt + idleTimeoutMs, absoluteDeadline);
        for (const now of [
          base - 1,
          deadline - 1,
          deadline,
          deadline + 1,
          base + idleTimeoutMs + 5,
          base + 2e9,
        ]) {
          out.push({ lastAccessAt, absoluteDeadline, idleTimeoutMs, now });
          // The same edges with the idle timeout the session's own, and a manager's that would disagree.
          out.push({
            lastAccessAt,
            absoluteDeadline,
            idleTimeoutMs: 7,
            ownIdleTimeoutMs: idleTimeoutMs,
            now,
          });
        }
      }
    }
    // And random ones.
    for (let i = 0; i < 200; i++) {
      const lastAccessAt = 1_790_000_000_000 + Math.floor(Math.random() * 1e6);
      out.push({
        lastAccessAt,
        absoluteDeadline: lastAccessAt + Math.floor(Math.random() * 2e6) - 5e5,
        idleTimeoutMs: 1 + Math.floor(Math.random() * 1e6),
        ...(i % 2 === 0 ? { ownIdleTimeoutMs: 1 + Math.floor(Math.random() * 1e6) } : {}),
        now: lastAccessAt + Math.floor(Math.random() * 2e6) - 5e5,
      });
    }
    return out;
  }

  /** The record's times as store/record-meta.ts reads them. */
  function timesOf(c: Case) {
    const { lastAccessAt, absoluteDeadline, ownIdleTimeoutMs } = c;
    return ownIdleTimeoutMs === undefined
      ? { lastAccessAt, absoluteDeadline }
      : { lastAccessAt, absoluteDeadline, idleTimeoutMs: ownIdleTimeoutMs };
  }

  function metaOf(c: Case): Record<string, string> {
    return {
      [MetaField.createdAt]: String(c.lastAccessAt),
      [MetaField.lastAccessAt]: String(c.lastAccessAt),
      [MetaField.absoluteDeadline]: String(c.absoluteDeadline),
      ...(c.ownIdleTimeoutMs === undefined ? {} : { [MetaField.idleTimeout]: String(c.ownIdleTimeoutMs) }),
    };
  }

  it("the sweeper's expiry check gives the same alive/expired, deadline and reason as expiryOf", async () => {
    const all = cases();
    for (const [n, c] of all.entries()) {
      const key = `${prefix}s:{${n}}`;
      const record = packRecord({ ...metaOf(c), user: '"ann"' });
      await redis.set(key, record, "PX", 60_000);
      const lua = (await redis.eval(
        expireIfDueScript.source,
        1,
        key,
        String(c.now),
        String(c.idleTimeoutMs),
      )) as string[];
      const expiry = expiryOf(timesOf(c), c.idleTimeoutMs, c.now);
      if (expiry === null) {
        expect(lua, JSON.stringify(c)).toEqual([
          "alive",
          String(sessionDeadline(timesOf(c), c.idleTimeoutMs)),
        ]);
      } else {
        expect(lua.slice(0, 2), JSON.stringify(c)).toEqual(["expired", expiry]);
      }
    }
  });

  it("the principal list keeps exactly the sessions sessionDeadline says are alive", async () => {
    const all = cases();
    for (const [n, c] of all.entries()) {
      const index = `${prefix}p:{t${n}}`;
      const sessionPrefix = `${prefix}s:{t${n}}`;
      await redis.set(`${sessionPrefix}member`, packRecord(metaOf(c)), "PX", 60_000);
      await redis.zadd(index, 1, "member");
      await redis.pexpire(index, 60_000);
      const listed = (await redis.eval(
        listPrincipalScript.source,
        1,
        index,
        sessionPrefix,
        String(c.now),
        String(c.idleTimeoutMs),
      )) as string[];
      const alive = sessionDeadline(timesOf(c), c.idleTimeoutMs) > c.now;
      expect(listed[0] === "member", JSON.stringify(c)).toBe(alive);
    }
  });
});
