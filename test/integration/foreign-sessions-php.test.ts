import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { foreignSession } from "../../src/interop/express.js";
import { defineOwn, emptyObject, ForeignBytes, ForeignOpaque } from "../../src/interop/foreign-value.js";
import { createPhpSessions, type PhpSessions, php } from "../../src/interop/php.js";
import { prototypeSnapshot } from "../support/fuzz.js";
import { type PhpResult, runPhp } from "../support/php-driver.js";

const { standalone } = inject("redis");
const PREFIX = "PHPREDIS_SESSION:";

function nested(n: number): unknown[] {
  return n === 0 ? [] : [nested(n - 1)];
}

/** The driver's $P as Node sees it (and writes it, for PHP to compare with serialize()). */
function expectedPayload(): Record<string, unknown> {
  const proto = emptyObject();
  defineOwn(proto, "polluted", true);
  const ctor = emptyObject();
  defineOwn(ctor, "prototype", 1);
  defineOwn(proto, "constructor", ctor);
  const payload: Record<string, unknown> = {
    unicode: "Zoë 🎉 \u{10FFFF}",
    invalid_utf8: new ForeignBytes(Uint8Array.from([0xff, 0xfe, 0xc3, 0x28])),
    nul: 'a\0b|c;"}',
    i31: 2147483647,
    i31p: 2147483648,
    i31m: -2147483649,
    i53: 9007199254740992n,
    i53p: 9007199254740993n,
    i63: 2n ** 63n - 1n,
    i63m: -(2n ** 63n),
    negzero: -0,
    half: 1.5,
    third: 1 / 3,
    tiny: 1e-7,
    huge: 1e300,
    f2_63: 2 ** 63,
    inf: Number.POSITIVE_INFINITY,
    ninf: Number.NEGATIVE_INFINITY,
    empty: [],
    emptystr: "",
    null: null,
    false: false,
    true: true,
    deep: nested(100),
    big: "xé".repeat(50000),
    map: new Map<unknown, unknown>([
      [2, "a"],
      [0, "b"],
      ["k", "c"],
      [-7, "d"],
    ]),
    list: [1, "two", 3.5, [4]],
  };
  const out = emptyObject() as Record<string, unknown>;
  for (const [key, value] of Object.entries(payload)) {
    if (key === "map") defineOwn(out, "__proto__", proto);
    defineOwn(out, key, value);
  }
  return out;
}

/** PHP code: $result = the names of $P whose value in the session differs (by serialize()). */
const MISMATCHES = `$result = [];
foreach ($P as $k => $v) if (!array_key_exists($k, $_SESSION) || serialize($_SESSION[$k]) !== serialize($v)) $result[] = $k;`;

const untilLocked = async (redis: Redis, key: string) => {
  const deadline = Date.now() + 5000;
  while (!(await redis.exists(`${key}_LOCK`))) {
    if (Date.now() > deadline) throw new Error("PHP never took the lock");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe.each([{ handler: "php" as const }, { handler: "php_serialize" as const }])(
  "PHP sessions through phpredis ($handler handler)",
  ({ handler }) => {
    let redis: Redis;
    let sessions: PhpSessions;
    let locked: PhpSessions;
    const savePath = `tcp://127.0.0.1:${standalone.port}`;
    const batch = (requests: { sid?: string; code: string; destroy?: boolean }[], locking = false) =>
      runPhp({ savePath, handler, locking, requests });

    beforeAll(() => {
      redis = new Redis(standalone.port);
      sessions = createPhpSessions(php({ serializeHandler: handler }), {
        redis: standalone.url,
        logger: false,
      });
      locked = createPhpSessions(php({ serializeHandler: handler, locking: true }), {
        redis: standalone.url,
        logger: false,
      });
    });
    afterAll(async () => {
      await sessions.close();
      await locked.close();
      redis.disconnect();
    });

    it("PHP writes, sessionkit reads every value; sessionkit changes one, PHP reads the rest as it wrote them", {
      timeout: 30_000,
    }, async () => {
      const before = prototypeSnapshot();
      const sid = sessions.format.newId();
      const [written] = await batch([
        {
          sid,
          code: `foreach ($P as $k => $v) $_SESSION[$k] = $v;
$_SESSION["point"] = new Point();
$shared = [1, 2];
$_SESSION["r1"] = &$shared;
$_SESSION["r2"] = &$shared;`,
        },
      ]);
      expect(written?.error).toBeUndefined();
      expect(written?.warnings).toEqual([]);
      const key = `${PREFIX}${sid}`;
      const phpBytes = await redis.getBuffer(key);
      expect(await redis.ttl(key)).toBeGreaterThan(1430);

      const data = await sessions.get(sid);
      if (!data) throw new Error("no session");
      expect(prototypeSnapshot()).toBe(before);
      const expected = expectedPayload();
      for (const name of Object.keys(expected)) expect(data[name], name).toEqual(expected[name]);
      expect(Object.getPrototypeOf(Object.getOwnPropertyDescriptor(data, "__proto__")?.value)).toBe(null);
      expect(data.point).toBeInstanceOf(ForeignOpaque);
      expect((data.point as ForeignOpaque).className).toBe("Point");
      expect(data.r2).toEqual([1, 2]);

      // A change by Node leaves every other byte as PHP wrote it.
      expect(await sessions.update(sid, { added: "by node" })).toBe(true);
      const after = await redis.getBuffer(key);
      const added = handler === "php" ? 'added|s:7:"by node";' : 's:5:"added";s:7:"by node";';
      const original = (phpBytes as Buffer).toString("latin1");
      const expectedAfter =
        handler === "php"
          ? original + added
          : `${original.replace(/^a:(\d+):/, (_, n: string) => `a:${Number(n) + 1}:`).slice(0, -1) + added}}`;
      expect(after?.toString("latin1")).toBe(expectedAfter);

      const [read] = await batch([
        {
          sid,
          code: `${MISMATCHES}
if (!($_SESSION["point"] instanceof Point)) $result[] = "point";
$_SESSION["r1"][] = 3;
if ($_SESSION["r2"] !== [1, 2, 3]) $result[] = "r2 is no longer a reference to r1";
if ($_SESSION["added"] !== "by node") $result[] = "added";`,
        },
      ]);
      expect(read?.error).toBeUndefined();
      expect(read?.warnings).toEqual([]);
      expect(read?.result).toEqual([]);
    });

    it("sessionkit writes, PHP reads every value, byte for byte what PHP itself writes", {
      timeout: 30_000,
    }, async () => {
      const expected = expectedPayload();
      const nodeSid = await sessions.create(expected);
      const phpSid = sessions.format.newId();
      const results = await batch([
        { sid: nodeSid, code: MISMATCHES },
        { sid: phpSid, code: "foreach ($P as $k => $v) $_SESSION[$k] = $v;" },
      ]);
      expect(results[0]?.error).toBeUndefined();
      expect(results[0]?.result).toEqual([]);
      const nodeBytes = await redis.getBuffer(`${PREFIX}${nodeSid}`);
      const phpBytes = await redis.getBuffer(`${PREFIX}${phpSid}`);
      expect(nodeBytes?.equals(phpBytes as Buffer)).toBe(true);
      const pttl = await redis.pttl(`${PREFIX}${nodeSid}`);
      expect(pttl).toBeGreaterThan(1_430_000);
      expect(pttl).toBeLessThanOrEqual(1_440_000);
    });

    it("refuses what PHP could not store, and leaves the session as it was", async () => {
      const sid = await sessions.create({ a: 1 });
      const bytes = await redis.getBuffer(`${PREFIX}${sid}`);
      if (handler === "php")
        await expect(sessions.update(sid, { "a|b": 1 })).rejects.toThrow(/cannot contain "\|"/);
      await expect(sessions.update(sid, { big: 2n ** 64n })).rejects.toThrow(/64-bit/);
      await expect(sessions.update(sid, { when: new Date() })).rejects.toThrow(/cannot hold/);
      expect((await redis.getBuffer(`${PREFIX}${sid}`))?.equals(bytes as Buffer)).toBe(true);
    });

    it('a "|" in a name makes PHP itself store an empty session, which sessionkit reads as empty', async () => {
      const sid = sessions.format.newId();
      await batch([{ sid, code: '$_SESSION["ok"] = 1; $_SESSION["a|b"] = 2;' }]);
      expect((await redis.getBuffer(`${PREFIX}${sid}`))?.length).toBe(handler === "php" ? 0 : 33);
      expect({ ...(await sessions.get(sid)) }).toEqual(handler === "php" ? {} : { ok: 1, "a|b": 2 });
    });

    it("with locking, a Node write waits for the PHP request that holds the session, and both changes survive", {
      timeout: 30_000,
    }, async () => {
      const sid = await locked.create({ start: 0 });
      const key = `${PREFIX}${sid}`;
      const php = batch([{ sid, code: '$_SESSION["php"] = "p"; usleep(400000);' }], true);
      await untilLocked(redis, key);
      const started = Date.now();
      expect(await locked.update(sid, { node: "n" })).toBe(true);
      const waited = Date.now() - started;
      const [result] = await php;
      expect(result?.error).toBeUndefined();
      expect(result?.warnings).toEqual([]);
      expect(waited).toBeGreaterThan(150);
      const data = await locked.get(sid);
      expect({ ...data }).toEqual({ start: 0, php: "p", node: "n" });
      expect(await redis.exists(`${key}_LOCK`)).toBe(0);

      // Without locking on Node's side, the same race loses Node's change: PHP writes the whole session
      // it read at session_start. (That is why `locking` must match the PHP side.)
      const php2 = batch([{ sid, code: '$_SESSION["php2"] = 1; usleep(300000);' }], true);
      await untilLocked(redis, key);
      expect(await sessions.update(sid, { lost: true })).toBe(true);
      await php2;
      expect((await sessions.get(sid))?.lost).toBeUndefined();
    });

    it("with locking, a PHP request waits for Node's write, reads it and adds its own", {
      timeout: 30_000,
    }, async () => {
      const sid = await locked.create({ start: 0 });
      const key = `${PREFIX}${sid}`;
      let php: ReturnType<typeof batch> | undefined;
      await locked.withLock(sid, async (inner) => {
        // The lock always has a TTL on Node's side (PHP's own has none when max_execution_time is 0).
        const lockTtl = await redis.pttl(`${key}_LOCK`);
        expect(lockTtl).toBeGreaterThan(0);
        expect(lockTtl).toBeLessThanOrEqual(30_000);
        expect(await inner.update(sid, { node: "first" })).toBe(true);
        php = batch(
          [{ sid, code: '$result = $_SESSION["node"] ?? null; $_SESSION["php"] = "after";' }],
          true,
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect((await inner.get(sid))?.php).toBeUndefined();
      });
      const [result] = await (php as ReturnType<typeof batch>);
      expect(result?.error).toBeUndefined();
      expect(result?.warnings).toEqual([]);
      expect(result?.result).toBe("first");
      expect({ ...(await locked.get(sid)) }).toEqual({ start: 0, node: "first", php: "after" });
      expect(await redis.exists(`${key}_LOCK`)).toBe(0);
    });

    it("with locking, a PHP request that gives up waiting (phpredis 5.3's defaults) reads but never overwrites Node's write", {
      timeout: 30_000,
    }, async () => {
      const sid = await locked.create({ start: 0 });
      let php: Promise<PhpResult[]> | undefined;
      await locked.withLock(sid, async (inner) => {
        await inner.update(sid, { node: "kept" });
        php = runPhp({
          savePath,
          handler,
          locking: true,
          phpredisDefaults: true,
          requests: [{ sid, code: '$result = $_SESSION["node"] ?? null; $_SESSION["php"] = "dropped";' }],
        });
        await php;
      });
      const [result] = await (php as Promise<PhpResult[]>);
      expect(result?.result).toBe("kept");
      expect(result?.warnings.join("\n")).toMatch(/Acquire of session lock was not successful/);
      expect(result?.warnings.join("\n")).toMatch(/Failed to write session data/);
      expect({ ...(await locked.get(sid)) }).toEqual({ start: 0, node: "kept" });
    });

    it("a Node route mounted on PHPSESSID is the same user, and its change reaches PHP (with locking)", {
      timeout: 30_000,
    }, async () => {
      const [login] = await batch([{ code: '$_SESSION["user_id"] = 42; $_SESSION["cart"] = [7];' }], true);
      const sid = login?.sid as string;
      const app = express();
      app.use(foreignSession(locked));
      app.get("/me", (req, res) => {
        const session = (req as unknown as { session: Record<string, unknown> }).session;
        session.seen_by_node = true;
        res.json({ user: session.user_id ?? null, cart: session.cart });
      });
      const server = app.listen(0);
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const me = await fetch(`${base}/me`, { headers: { cookie: `PHPSESSID=${sid}` } });
        expect(await me.json()).toEqual({ user: 42, cart: [7] });
        const anonymous = await fetch(`${base}/me`);
        expect(anonymous.headers.get("set-cookie")).toMatch(/^PHPSESSID=[0-9a-f]{32}; Path=\/; HttpOnly/);
      } finally {
        server.close();
      }
      const [read] = await batch(
        [{ sid, code: '$result = [$_SESSION["user_id"], $_SESSION["seen_by_node"]];' }],
        true,
      );
      expect(read?.result).toEqual([42, true]);
    });

    it("without locking, Node's compare-and-set never overwrites what PHP wrote meanwhile", {
      timeout: 30_000,
    }, async () => {
      const sid = await sessions.create({ php: -1, node: -1 });
      const requests = Array.from({ length: 40 }, (_, i) => ({ sid, code: `$_SESSION["php"] = ${i};` }));
      const php = batch(requests);
      for (let i = 0; i < 40; i++) await sessions.update(sid, { node: i });
      await php;
      // PHP's last write is whole (it may carry an older `node`), but no Node write carried an older `php`.
      expect((await sessions.get(sid))?.php).toBe(39);
      expect(await redis.exists(`${PREFIX}${sid}_LOCK`)).toBe(0);
    });
  },
);
