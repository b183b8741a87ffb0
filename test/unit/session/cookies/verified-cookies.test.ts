import { describe, expect, it } from "vitest";
import { createSessionManager } from "../../../../src/create-session-manager.js";
import { VerifiedCookies } from "../../../../src/session/cookies/verified-cookies.js";
import type { SessionManager } from "../../../../src/session/session-manager.js";
import { MemoryStore } from "../../../../src/store/memory-store.js";

describe("verified-cookie cache", () => {
  const secret = "session-secret-0123456789-abcdefghijklmn";
  const old = "older-secret-0123456789-abcdefghijklmnop";
  const request = (cookie: string) => ({ cookieHeader: `sid=${cookie}`, secure: false });

  async function signedSession(manager: SessionManager): Promise<string> {
    const session = await manager.load({ cookieHeader: undefined, secure: false });
    (session as unknown as Record<string, unknown>).user = "u1";
    const setCookie = (await manager.commit(session)) as string;
    return setCookie.slice(setCookie.indexOf("=") + 1, setCookie.indexOf(";"));
  }

  it("answers a verified cookie again, and never accepts a bad one, before or after caching", async () => {
    const store = new MemoryStore();
    const manager = createSessionManager({ store, secret: [secret, old] });
    const cookie = await signedSession(manager);
    const tampered = `${cookie.slice(0, -1)}${cookie.endsWith("A") ? "B" : "A"}`;
    const otherMac = `${cookie.slice(0, cookie.lastIndexOf("."))}.${"A".repeat(43)}`;
    for (let i = 0; i < 3; i++) {
      expect((await manager.load(request(cookie))).meta.isNew).toBe(false);
      expect((await manager.load(request(tampered))).meta.isNew).toBe(true);
      expect((await manager.load(request(otherMac))).meta.isNew).toBe(true);
    }
    await manager.close();
  });

  it("re-issues a cookie signed by an old secret on every request, cached or not", async () => {
    const store = new MemoryStore();
    const before = createSessionManager({ store, secret: old });
    const cookie = await signedSession(before);
    const rotated = createSessionManager({ store, secret: [secret, old] });
    for (let i = 0; i < 3; i++) {
      const session = await rotated.load(request(cookie));
      expect(session.meta.isNew).toBe(false);
      expect(await rotated.commit(session)).toMatch(/^sid=/);
    }
    // A manager with other secrets does not accept it, whatever another manager cached.
    const other = createSessionManager({ store, secret: "another-secret-9876543210-zyxwvutsrqpo" });
    expect((await other.load(request(cookie))).meta.isNew).toBe(true);
  });

  it("keeps answering after many distinct entries (generations roll over) and holds no cookie", () => {
    const cache = new VerifiedCookies();
    cache.remember("key-first", "mac-first", false);
    for (let i = 0; i < 25_000; i++) {
      cache.remember(`key-${i}`, `mac-${i}`, i % 2 === 0);
      // An entry in use is carried over into the next generation.
      if (i % 5_000 === 0) expect(cache.lookup("key-first", "mac-first")).toBe(false);
    }
    expect(cache.lookup("key-first", "mac-first")).toBe(false);
    expect(cache.lookup("key-24999", "mac-24999")).toBe(false);
    expect(cache.lookup("key-24998", "mac-24998")).toBe(true);
    expect(cache.lookup("key-2", "mac-2")).toBeUndefined();
    expect(cache.lookup("key-first", "mac-other")).toBeUndefined();
  });
});
