import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sessionKeyId } from "../../src/session/session-id.js";
import { ValueSeal } from "../../src/session/session-record.js";
import { OLD_TEST_SECRET, TEST_SECRET, testNamespace } from "../support/browser.js";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";
import { readField, readRecord, rewriteRecord } from "../support/records.js";

const { standalone } = inject("redis");

interface SessionBody {
  data: Record<string, unknown>;
  meta: { isNew: boolean; keyId: string; redisKey: string; ttlMs: number };
}

/** The session ID inside a signed cookie value ("<id>.<mac>"), to find its Redis key. */
const idOf = (cookie: string | undefined) => (cookie ?? "").slice(0, (cookie ?? "").lastIndexOf("."));

describe("Express + demo app on standalone Redis", () => {
  let demo: DemoFixture;
  beforeAll(async () => {
    demo = await startDemoFixture(standalone.port, "express");
  });
  afterAll(() => demo?.close());

  it("answers a login with 303 and the very next request already sees it", async () => {
    for (let trial = 0; trial < 20; trial++) {
      const browser = demo.browser();
      const login = await browser.request("POST", "/login", { form: { user: `user-${trial}` } });
      expect(login.status).toBe(303);
      expect(login.headers.get("location")).toBe("/");
      const after = (await browser.get("/api/session")).json<SessionBody>();
      expect(after.data.user).toBe(`user-${trial}`);
    }
  });

  it("keeps both of two overlapping changes of different attributes (many trials, zero losses)", async () => {
    const trials = 40;
    let losses = 0;
    for (let trial = 0; trial < trials; trial++) {
      const browser = demo.browser();
      await browser.request("POST", "/login", { json: { user: "racer" } });
      await Promise.all([
        browser.request("PATCH", "/api/session?delay=30", { json: { slow: trial } }),
        browser.request("PATCH", "/api/session", { json: { fast: trial } }),
      ]);
      const { data } = (await browser.get("/api/session")).json<SessionBody>();
      if (data.slow !== trial || data.fast !== trial || data.user !== "racer") losses++;
    }
    expect(losses).toBe(0);
  });

  it("does not bring a session back when a change lands after logout", async () => {
    for (let trial = 0; trial < 10; trial++) {
      const browser = demo.browser();
      await browser.request("POST", "/login", { json: { user: "leaver" } });
      const cookie = browser.cookies.get("sid");
      const key = demo.redisKey(sessionKeyId(idOf(cookie)));
      const slowPatch = browser.request("PATCH", "/api/session?delay=150", {
        json: { late: true },
        headers: { cookie: `sid=${cookie}` },
      });
      await new Promise((resolve) => setTimeout(resolve, 40));
      const logout = await browser.request("POST", "/logout", { headers: { cookie: `sid=${cookie}` } });
      expect(logout.status).toBe(303);
      const late = await slowPatch;
      // The late change is dropped; its response leaves the cookie alone (rule 16).
      expect(late.setCookies.some((c) => /Max-Age=0/i.test(c))).toBe(false);
      expect(await demo.redis.exists(key)).toBe(0);
      const again = await demo
        .browser()
        .request("GET", "/api/session", { headers: { cookie: `sid=${cookie}` } });
      expect(again.json<SessionBody>().data).toEqual({});
    }
  });

  it("persists nested mutations and writes only what changed", async () => {
    const browser = demo.browser();
    await browser.request("POST", "/login", { json: { user: "nested" } });
    await browser.request("PATCH", "/api/session", { json: { cart: { items: [1] }, other: "x" } });
    const key = demo.redisKey(sessionKeyId(idOf(browser.cookies.get("sid"))));
    expect(JSON.parse((await readField(demo.redis, key, "cart")) ?? "null")).toEqual({ items: [1] });
    await browser.request("PATCH", "/api/session", { json: { other: null } });
    expect(Object.keys((await readRecord(demo.redis, key)) ?? {})).not.toContain("other");
    expect(await readField(demo.redis, key, "user")).toBe('"nested"');
  });

  it("gives a tampered, truncated, unsigned or unknown cookie a fresh anonymous session; clears all but a signed one", async () => {
    const browser = demo.browser();
    await browser.request("POST", "/login", { json: { user: "victim" } });
    const good = browser.cookies.get("sid") ?? "";
    const id = idOf(good);
    const mac = good.slice(id.length + 1);
    const flipped = `${id.slice(0, -1)}${id.endsWith("A") ? "B" : "A"}.${mac}`;
    const unknownButSigned = await (async () => {
      const other = demo.browser();
      await other.request("POST", "/login", { json: { user: "gone" } });
      const value = other.cookies.get("sid");
      await other.request("POST", "/logout");
      return value;
    })();
    for (const bad of [flipped, good.slice(0, -3), id, `${id}.`, "garbage", "%E0%A4%A", unknownButSigned]) {
      const response = await demo
        .browser()
        .request("GET", "/api/session", { headers: { cookie: `sid=${bad}` } });
      expect(response.status).toBe(200);
      const body = response.json<SessionBody>();
      expect(body.data).toEqual({});
      expect(body.meta.isNew).toBe(true);
      // Not ours: deleted. Signed by us, its session gone (rule 16): left alone.
      expect(response.setCookies.some((c) => /^sid=;.*Max-Age=0/i.test(c))).toBe(bad !== unknownButSigned);
    }
    // The real session is untouched by all of that.
    const owner = await demo.browser().request("GET", "/api/session", { headers: { cookie: `sid=${good}` } });
    expect(owner.json<SessionBody>().data.user).toBe("victim");
  });

  it("treats a corrupt record as no session and removes it", async () => {
    const corruptions: Array<(key: string) => Promise<unknown>> = [
      (key) => rewriteRecord(demo.redis, key, (f) => ({ ...f, user: "{not json" })),
      (key) => rewriteRecord(demo.redis, key, ({ $c: _, ...f }) => f),
      (key) => rewriteRecord(demo.redis, key, (f) => ({ ...f, $x: "soon" })),
      (key) => rewriteRecord(demo.redis, key, (f) => ({ ...f, cart: '{"$t":"Evil","v":1}' })),
      // Not a packed record: no name separator, a bad escape, an empty string.
      (key) => demo.redis.set(key, "a string, not a record", "KEEPTTL"),
      async (key) => demo.redis.set(key, `${await demo.redis.get(key)}\x1d9`, "KEEPTTL"),
      (key) => demo.redis.set(key, "", "KEEPTTL"),
      // Not a string at all (an old-format hash record).
      async (key) => {
        await demo.redis.del(key);
        await demo.redis.hset(key, "$c", "1", "$a", "1", "$x", "1");
        await demo.redis.pexpire(key, 60_000);
      },
    ];
    for (const corrupt of corruptions) {
      const browser = demo.browser();
      await browser.request("POST", "/login", { json: { user: "corrupted" } });
      const key = demo.redisKey(sessionKeyId(idOf(browser.cookies.get("sid"))));
      await corrupt(key);
      const response = await browser.get("/api/session");
      expect(response.status).toBe(200);
      expect(response.json<SessionBody>().data).toEqual({});
      expect(await demo.redis.exists(key)).toBe(0);
    }
  });

  it("with two session cookies (another path's stale one first), uses the one that verifies and clears neither", async () => {
    const browser = demo.browser();
    await browser.request("POST", "/login", { json: { user: "two-cookies" } });
    const good = browser.cookies.get("sid") ?? "";
    const stale = `${good.slice(0, -2)}xx`;
    for (const header of [`sid=${stale}; sid=${good}`, `theme=dark; sid=garbage; other=1; sid=${good}`]) {
      const response = await demo.browser().request("GET", "/api/session", { headers: { cookie: header } });
      expect(response.json<SessionBody>().data.user).toBe("two-cookies");
      expect(response.setCookies.some((c) => /Max-Age=0/i.test(c))).toBe(false);
    }
  });

  it("treats a long value whose seal matches but which does not decode as no session: 200, removed", async () => {
    const browser = demo.browser();
    await browser.request("POST", "/login", { json: { user: "crafted" } });
    await browser.request("PATCH", "/api/session", { json: { cart: { items: "x".repeat(100) } } });
    const key = demo.redisKey(sessionKeyId(idOf(browser.cookies.get("sid"))));
    // Forged with a valid seal: the load's check passes, the decode on first read fails.
    const forged = new ValueSeal().seal(`{"items":"${"y".repeat(100)}"`);
    await rewriteRecord(demo.redis, key, (f) => ({ ...f, cart: forged }));
    for (let request = 0; request < 3; request++) {
      const response = await browser.get("/api/session");
      expect(response.status).toBe(200);
      expect(response.json<SessionBody>().data.cart).toBeUndefined();
    }
    expect(await demo.redis.exists(key)).toBe(0);
    expect((await browser.get("/api/session")).json<SessionBody>()).toMatchObject({
      data: {},
      meta: { isNew: true },
    });
  });

  it("regenerate keeps the data, gives a new ID and kills the old one", async () => {
    const browser = demo.browser();
    await browser.request("PATCH", "/api/session", { json: { cart: ["book"], theme: "dark" } });
    const before = browser.cookies.get("sid") ?? "";
    const oldKey = demo.redisKey(sessionKeyId(idOf(before)));
    expect(await demo.redis.exists(oldKey)).toBe(1);
    await browser.request("POST", "/login", { json: { user: "ann" } });
    const after = browser.cookies.get("sid") ?? "";
    expect(idOf(after)).not.toBe(idOf(before));
    expect((await browser.get("/api/session")).json<SessionBody>().data).toEqual({
      cart: ["book"],
      theme: "dark",
      user: "ann",
    });
    expect(await demo.redis.exists(oldKey)).toBe(0);
    const stale = await demo
      .browser()
      .request("GET", "/api/session", { headers: { cookie: `sid=${before}` } });
    expect(stale.json<SessionBody>().data).toEqual({});
  });

  it("leaves no key without a TTL after a full scenario, and no raw session ID in any key", async () => {
    const browser = demo.browser();
    await browser.request("PATCH", "/api/session", { json: { a: 1 } });
    await browser.request("POST", "/login", { json: { user: "ttl" } });
    await browser.request("PATCH", "/api/session", { json: { b: { deep: [1, 2] }, a: null } });
    const keeper = demo.browser();
    await keeper.request("POST", "/login", { json: { user: "stays" } });
    await browser.request("POST", "/logout");
    const keys = await demo.keys();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const ttl = await demo.redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      // The random part of the ID (after the slot tag) appears in no key.
      expect(key).not.toContain(idOf(keeper.cookies.get("sid")).split(".").pop());
    }
    const session = (await keeper.get("/api/session")).json<SessionBody>();
    expect(session.meta.ttlMs).toBeGreaterThan(0);
  });

  it("rejects bad PATCH input with 400 and changes nothing", async () => {
    const browser = demo.browser();
    await browser.request("PATCH", "/api/session", { json: { kept: 1 } });
    expect((await browser.request("PATCH", "/api/session", { json: [1, 2] })).status).toBe(400);
    expect((await browser.request("PATCH", "/api/session?delay=-5", { json: { x: 1 } })).status).toBe(400);
    expect((await browser.request("PATCH", "/api/session?delay=abc", { json: { x: 1 } })).status).toBe(400);
    expect((await browser.request("POST", "/login", { json: { user: "" } })).status).toBe(400);
    expect((await browser.get("/api/session")).json<SessionBody>().data).toEqual({ kept: 1 });
  });

  it("serves the playground page with the session and its key", async () => {
    const browser = demo.browser();
    await browser.request("POST", "/login", { form: { user: "<script>x</script>" } });
    const page = await browser.get("/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("&#60;script&#62;x&#60;/script&#62;");
    expect(page.text).not.toContain("<script>x</script>");
    expect(page.text).toContain(`${demo.store.keys.namespacePrefix}s:{`);
    // The page's own script must at least parse (a broken escape once left it dead in the browser).
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.text)?.[1] ?? "";
    expect(script.length).toBeGreaterThan(100);
    expect(() => new Function(script)).not.toThrow();
  });
});

describe("secret rotation", () => {
  let oldApp: DemoFixture;
  let rotated: DemoFixture;
  let newOnly: DemoFixture;
  beforeAll(async () => {
    // Three deployments of one app (same namespace) during a key rotation.
    const namespace = testNamespace("rotation");
    oldApp = await startDemoFixture(standalone.port, "rotation", { secret: OLD_TEST_SECRET, namespace });
    rotated = await startDemoFixture(standalone.port, "rotation", {
      secret: [TEST_SECRET, OLD_TEST_SECRET],
      namespace,
    });
    newOnly = await startDemoFixture(standalone.port, "rotation", { secret: TEST_SECRET, namespace });
  });
  afterAll(async () => {
    await Promise.all([oldApp?.close(), rotated?.close(), newOnly?.close()]);
  });

  it("accepts a cookie signed by an old secret and re-issues it signed by the current one", async () => {
    const browser = oldApp.browser();
    await browser.request("POST", "/login", { json: { user: "rotating" } });
    const oldCookie = browser.cookies.get("sid") ?? "";
    const response = await rotated
      .browser()
      .request("GET", "/api/session", { headers: { cookie: `sid=${oldCookie}` } });
    expect(response.json<SessionBody>().data.user).toBe("rotating");
    const reissued = response.setCookies.find((c) => c.startsWith("sid="));
    expect(reissued).toBeDefined();
    const newCookie = /^sid=([^;]+)/.exec(reissued ?? "")?.[1] ?? "";
    expect(idOf(newCookie)).toBe(idOf(oldCookie));
    expect(newCookie).not.toBe(oldCookie);
    const withNew = await newOnly
      .browser()
      .request("GET", "/api/session", { headers: { cookie: `sid=${newCookie}` } });
    expect(withNew.json<SessionBody>().data.user).toBe("rotating");
    // Once re-issued, the same app does not keep re-sending it.
    const quiet = await rotated
      .browser()
      .request("GET", "/api/session", { headers: { cookie: `sid=${newCookie}` } });
    expect(quiet.setCookies).toEqual([]);
  });
});
