import { describe, expect, it } from "vitest";
import { expiryOf, idleDeadline, MetaField, sessionDeadline } from "../../../src/store/record-meta.js";

const IDLE = 1_000;

describe("session deadlines", () => {
  it("idleDeadline is the last access plus the idle timeout", () => {
    expect(idleDeadline({ lastAccessAt: 5_000, absoluteDeadline: 100_000 }, IDLE)).toBe(6_000);
  });

  it("a session's own idle timeout (remember me) replaces the manager's", () => {
    const times = { lastAccessAt: 5_000, absoluteDeadline: 100_000, idleTimeoutMs: 50_000 };
    expect(idleDeadline(times, IDLE)).toBe(55_000);
    expect(sessionDeadline({ ...times, idleTimeoutMs: 500_000 }, IDLE)).toBe(100_000);
    expect(expiryOf(times, IDLE, 54_999)).toBeNull();
    expect(expiryOf(times, IDLE, 55_000)).toBe("idle");
  });

  it("sessionDeadline is the earlier of the idle and the absolute deadline", () => {
    expect(sessionDeadline({ lastAccessAt: 5_000, absoluteDeadline: 100_000 }, IDLE)).toBe(6_000);
    expect(sessionDeadline({ lastAccessAt: 5_000, absoluteDeadline: 5_500 }, IDLE)).toBe(5_500);
    expect(sessionDeadline({ lastAccessAt: 5_000, absoluteDeadline: 6_000 }, IDLE)).toBe(6_000);
  });

  it("expiryOf: null before the idle deadline, idle at and after it, idle when both passed later", () => {
    const times = { lastAccessAt: 5_000, absoluteDeadline: 100_000 };
    expect(expiryOf(times, IDLE, 0)).toBeNull();
    expect(expiryOf(times, IDLE, 5_999)).toBeNull();
    expect(expiryOf(times, IDLE, 6_000)).toBe("idle");
    expect(expiryOf(times, IDLE, 6_001)).toBe("idle");
    // Both passed: the idle deadline came first.
    expect(expiryOf(times, IDLE, 200_000)).toBe("idle");
  });

  it("expiryOf: null before the absolute deadline, absolute at and after it, absolute when both passed later", () => {
    const times = { lastAccessAt: 5_000, absoluteDeadline: 5_500 };
    expect(expiryOf(times, IDLE, 5_499)).toBeNull();
    expect(expiryOf(times, IDLE, 5_500)).toBe("absolute");
    expect(expiryOf(times, IDLE, 5_501)).toBe("absolute");
    // Both passed: the absolute deadline came first.
    expect(expiryOf(times, IDLE, 7_000)).toBe("absolute");
  });

  it("expiryOf: when both deadlines fall at once, the reason is absolute", () => {
    const times = { lastAccessAt: 5_000, absoluteDeadline: 6_000 };
    expect(expiryOf(times, IDLE, 5_999)).toBeNull();
    expect(expiryOf(times, IDLE, 6_000)).toBe("absolute");
    expect(expiryOf(times, IDLE, 9_000)).toBe("absolute");
  });

  it("names the metadata fields as stored records hold them", () => {
    expect(MetaField).toEqual({
      createdAt: "$c",
      lastAccessAt: "$a",
      absoluteDeadline: "$x",
      principal: "$p",
      userAgent: "$ua",
      ip: "$ip",
      idleTimeout: "$i",
      cookieKind: "$k",
    });
  });
});
