import { describe, expect, it } from "vitest";
import { SessionError } from "../../../src/common/errors.js";
import { createSessionManager } from "../../../src/create-session-manager.js";
import type { Session } from "../../../src/session/session.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { MetaField } from "../../../src/store/record-meta.js";
import { TEST_SECRET } from "../../support/browser.js";
import { cookieOf } from "../../support/memory-manager.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A manager on a MemoryStore with a clock the test moves; idle 30 min, absolute 14 days. */
function setUp(options: { persistent?: boolean } = {}) {
  let now = 1_800_000_000_000;
  const store = createMemoryStore({ now: () => now });
  const manager = createSessionManager({
    store,
    secret: TEST_SECRET,
    idleTimeout: 30 * MINUTE,
    absoluteTimeout: 14 * DAY,
    cookie: { persistent: options.persistent ?? true },
    now: () => now,
  });
  const browser = { cookie: undefined as string | undefined };
  /** One request: load with the browser's cookie, run the handler, commit, keep the cookie it sets. */
  async function request(handler: (session: Session & Record<string, unknown>) => void | Promise<void>) {
    const session = (await manager.load({ cookieHeader: browser.cookie, secure: false })) as Session &
      Record<string, unknown>;
    await handler(session);
    const setCookie = await manager.commit(session);
    if (setCookie !== undefined) browser.cookie = cookieOf(setCookie) || undefined;
    return setCookie;
  }
  return { manager, store, browser, request, advance: (ms: number) => (now += ms), now: () => now };
}

const maxAgeOf = (setCookie: string | string[] | undefined) =>
  Number(/Max-Age=(\d+)/.exec(String(setCookie ?? ""))?.[1]);

describe("session.cookie: express-session's cookie, on sessionkit's deadlines", () => {
  it("maxAge and expires read the time left until the session's deadline", async () => {
    const { request, advance, now } = setUp();
    await request((s) => {
      s.user = "ann";
    });
    advance(10 * MINUTE);
    await request((s) => {
      expect(s.cookie.maxAge).toBe(20 * MINUTE);
      expect(s.cookie.expires?.getTime()).toBe(now() + 20 * MINUTE);
      expect(s.cookie.originalMaxAge).toBe(30 * MINUTE);
      expect(s.cookie.path).toBe("/");
      expect(s.cookie.httpOnly).toBe(true);
    });
  });

  it("a browser-session cookie (persistent: false) has maxAge and expires null", async () => {
    const { request } = setUp({ persistent: false });
    await request((s) => {
      expect(s.cookie.maxAge).toBeNull();
      expect(s.cookie.expires).toBeNull();
    });
  });

  it("maxAge = 30 days is remember me for this session only: its own idle timeout, a persistent cookie, capped by absoluteTimeout", async () => {
    const { request, advance, browser, manager } = setUp({ persistent: false });
    const setCookie = await request((s) => {
      s.user = "ann";
      s.cookie.maxAge = 7 * DAY;
    });
    expect(maxAgeOf(setCookie)).toBe(7 * 24 * 3600);
    const remembered = browser.cookie;
    // Idle for a day: past the app's 30 minutes, within the session's own 7 days.
    advance(DAY);
    await request((s) => {
      expect(s.user).toBe("ann");
      expect(s.cookie.originalMaxAge).toBe(7 * DAY);
    });
    // Another visitor who did not tick "remember me" keeps the app's 30 minutes.
    browser.cookie = undefined;
    await request((s) => {
      s.user = "bob";
    });
    advance(31 * MINUTE);
    await request((s) => expect(s.user).toBeUndefined());
    // Remember me never outlives absoluteTimeout.
    browser.cookie = remembered;
    await request((s) => {
      s.cookie.maxAge = 365 * DAY;
      expect(s.cookie.originalMaxAge).toBe(14 * DAY);
      expect(s.cookie.maxAge).toBeLessThanOrEqual(13 * DAY);
    });
    expect(manager.idleTimeoutMs).toBe(30 * MINUTE);
  });

  it("remember me is stored in the record and survives the login's regenerate", async () => {
    const { request, store, browser, manager } = setUp();
    await request(async (s) => {
      s.cookie.maxAge = 2 * DAY;
      s.cart = [1];
      await s.setPrincipal("u1");
    });
    const [session] = await manager.listSessions("u1");
    expect(session?.idleDeadline).toBe((session?.lastAccessAt ?? 0) + 2 * DAY);
    const loaded = await manager.load({ cookieHeader: browser.cookie, secure: false });
    const fields = (await store.inspect(loaded.meta.keyId)).fields;
    expect(fields?.[MetaField.idleTimeout]).toBe(String(2 * DAY));
    expect(fields?.[MetaField.cookieKind]).toBe("p");
  });

  it("maxAge = null turns this session's cookie into a browser-session cookie and drops its own idle timeout", async () => {
    const { request, advance } = setUp();
    await request((s) => {
      s.user = "ann";
      s.cookie.maxAge = 7 * DAY;
    });
    const setCookie = await request((s) => {
      s.cookie.maxAge = null;
    });
    expect(setCookie).toBeDefined();
    expect(setCookie).not.toMatch(/Max-Age/);
    advance(31 * MINUTE);
    await request((s) => expect(s.user).toBeUndefined());
  });

  it("expires = date sets maxAge; nonsense is a clear SESSION_INVALID_STATE error; app-wide options are read-only", async () => {
    const { request, now } = setUp();
    await request((s) => {
      s.cookie.expires = new Date(now() + DAY);
      expect(s.cookie.maxAge).toBe(DAY);
      for (const bad of [0, -5, Number.NaN, "1d", Number.POSITIVE_INFINITY]) {
        expect(() => {
          (s.cookie as { maxAge: unknown }).maxAge = bad;
        }).toThrow(/cookie.maxAge must be a number/);
      }
      expect(() => {
        (s.cookie as unknown as { secure: boolean }).secure = true;
      }).toThrow(SessionError);
      expect(() => {
        (s.cookie as unknown as { path: string }).path = "/x";
      }).toThrow(/session\(\{ cookie: \{ path \} \}\)/);
    });
  });
});
