import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../src/common/diagnostics.js";
import { SessionStoreError } from "../../../src/common/errors.js";
import { createSessionManager } from "../../../src/create-session-manager.js";
import type { Session } from "../../../src/session/session.js";
import { createMemoryStore, type MemoryStore } from "../../../src/store/memory-store.js";
import type { SessionStore } from "../../../src/store/session-store.js";
import { TEST_SECRET } from "../../support/browser.js";
import { cookieOf } from "../../support/memory-manager.js";

const OTHER_SECRET = "another-secret-of-at-least-32-characters!!";

/** A manager on a MemoryStore with a clock the test moves, recording diagnostics. */
function loaderUnderTest(
  options: { store?: SessionStore; secret?: string | string[]; failurePolicy?: "open" } = {},
) {
  let now = 1_790_000_000_000;
  const diagnostics: Diagnostic[] = [];
  // The store keeps real time: its TTL backstop must not end a record before the loader's deadline check sees it.
  const store = options.store ?? createMemoryStore();
  const manager = createSessionManager({
    store,
    secret: options.secret ?? TEST_SECRET,
    idleTimeout: "1h",
    absoluteTimeout: "1d",
    onDiagnostic: (d) => diagnostics.push(d),
    now: () => now,
    ...(options.failurePolicy ? { failurePolicy: options.failurePolicy } : {}),
  });
  const load = (cookieHeader?: string) => manager.load({ cookieHeader, secure: false });
  const codes = () => diagnostics.map((d) => d.code);
  const advance = (ms: number) => {
    now += ms;
  };
  return { manager, store, load, codes, diagnostics, advance };
}

async function storedSession(
  subject: ReturnType<typeof loaderUnderTest>,
): Promise<{ cookie: string; keyId: string }> {
  const session = (await subject.load()) as Session & { user?: string };
  session.user = "ann";
  const cookie = cookieOf(await subject.manager.commit(session));
  return { cookie, keyId: session.meta.keyId };
}

describe("SessionLoader", () => {
  it("gives a request without a cookie a new session, and costs the store nothing", async () => {
    let loads = 0;
    const memory = createMemoryStore();
    const store: SessionStore = {
      load: (keyId) => {
        loads++;
        return memory.load(keyId);
      },
      write: (k, w) => memory.write(k, w),
      remove: (k, i) => memory.remove(k, i),
      close: () => memory.close(),
    };
    const subject = loaderUnderTest({ store });
    const session = await subject.load();
    expect(session.meta.isNew).toBe(true);
    expect(loads).toBe(0);
    expect(subject.codes()).toEqual([]);
  });

  it("loads the session its signed cookie names", async () => {
    const subject = loaderUnderTest();
    const { cookie, keyId } = await storedSession(subject);
    const loaded = (await subject.load(cookie)) as Session & { user?: string };
    expect(loaded.meta).toMatchObject({ isNew: false, keyId });
    expect(loaded.user).toBe("ann");
  });

  it("treats a tampered, unsigned or foreign cookie as no session without reading the store", async () => {
    const subject = loaderUnderTest();
    const { cookie } = await storedSession(subject);
    const tampered = `${cookie.slice(0, -2)}${cookie.endsWith("A") ? "B" : "A"}`;
    for (const header of [tampered, cookie.slice(0, cookie.lastIndexOf(".")), "sid=not-an-id.mac", "sid="]) {
      const session = await subject.load(header);
      expect(session.meta.isNew, header).toBe(true);
    }
    expect(subject.codes().every((code) => code === "SESSION_COOKIE_INVALID")).toBe(true);
    expect(subject.codes().length).toBeGreaterThanOrEqual(3);
  });

  it("reports an unknown ID as not found", async () => {
    const subject = loaderUnderTest();
    const { cookie, keyId } = await storedSession(subject);
    await subject.store.remove(keyId);
    expect((await subject.load(cookie)).meta.isNew).toBe(true);
    expect(subject.diagnostics.at(-1)).toMatchObject({ code: "SESSION_NOT_FOUND", keyId });
  });

  it("ends a session past its idle deadline, and removes its record", async () => {
    const subject = loaderUnderTest();
    const { cookie, keyId } = await storedSession(subject);
    subject.advance(3_600_000 - 1);
    expect((await subject.load(cookie)).meta.isNew).toBe(false);
    subject.advance(1);
    expect((await subject.load(cookie)).meta.isNew).toBe(true);
    expect(subject.codes().at(-1)).toBe("SESSION_EXPIRED_IDLE");
    expect((subject.store as MemoryStore).ttlMs(keyId)).toBe(-2);
  });

  it("ends a session past its absolute deadline however active it was", async () => {
    const subject = loaderUnderTest();
    const { cookie } = await storedSession(subject);
    for (let hour = 0; hour < 24; hour++) {
      subject.advance(3_600_000 - 1000);
      const session = await subject.load(cookie);
      session.touch();
      await subject.manager.commit(session);
    }
    subject.advance(24 * 1000);
    expect((await subject.load(cookie)).meta.isNew).toBe(true);
    expect(subject.codes().at(-1)).toBe("SESSION_EXPIRED_ABSOLUTE");
  });

  it("accepts a cookie signed by an older secret and says it will be re-issued", async () => {
    const old = loaderUnderTest({ secret: OTHER_SECRET });
    const { cookie } = await storedSession(old);
    const rotated = loaderUnderTest({ store: old.store, secret: [TEST_SECRET, OTHER_SECRET] });
    const session = await rotated.load(cookie);
    expect(session.meta.isNew).toBe(false);
    expect(rotated.codes()).toEqual(["SESSION_COOKIE_RENEWED"]);
    expect(await rotated.manager.commit(session)).toMatch(/^sid=/);
  });

  it("throws the store's error under fail-closed, and serves an anonymous session under fail-open", async () => {
    const failure = new SessionStoreError("SESSION_STORE_UNAVAILABLE", "Redis is down");
    const memory = createMemoryStore();
    const working = loaderUnderTest({ store: memory });
    const { cookie } = await storedSession(working);
    const failing: SessionStore = {
      load: async () => {
        throw failure;
      },
      write: (k, w) => memory.write(k, w),
      remove: (k, i) => memory.remove(k, i),
      close: async () => {},
    };
    await expect(loaderUnderTest({ store: failing }).load(cookie)).rejects.toBe(failure);
    const open = loaderUnderTest({ store: failing, failurePolicy: "open" });
    const session = (await open.load(cookie)) as Session & { user?: string };
    expect(session.meta.isNew).toBe(true);
    expect(open.codes()).toEqual(["SESSION_STORE_FAILED_OPEN"]);
    // Reads go on; a change cannot be stored and fails like fail-closed.
    expect(await open.manager.commit(session)).toBeUndefined();
    session.user = "mallory";
    await expect(open.manager.commit(session)).rejects.toBe(failure);
  });
});
