import { describe, expect, it } from "vitest";
import { CookieSigner } from "../../src/core/cookie-signer.js";
import { SessionConfigError } from "../../src/core/errors.js";
import { generateSessionId, hashSessionId, isWellFormedSessionId } from "../../src/core/session-id.js";

const current = "c".repeat(40);
const old = "o".repeat(40);

describe("cookie signing", () => {
  it("signs with the first secret and verifies with all, flagging old ones", () => {
    const rotated = new CookieSigner([current, old]);
    expect(rotated.unsign(rotated.sign("value"))).toEqual({ value: "value", signedWithOldSecret: false });
    const signedByOld = new CookieSigner(old).sign("value");
    expect(rotated.unsign(signedByOld)).toEqual({ value: "value", signedWithOldSecret: true });
  });

  it("rejects tampered, truncated, unsigned and foreign values", () => {
    const signer = new CookieSigner(current);
    const signed = signer.sign("value");
    for (const bad of [
      "value",
      `${signed}x`,
      signed.slice(0, -1),
      `other${signed.slice(5)}`,
      new CookieSigner(old).sign("value"),
      "",
      ".",
      ".abc",
    ]) {
      expect(signer.unsign(bad)).toBeNull();
    }
  });

  it("refuses short or missing secrets at construction", () => {
    expect(() => new CookieSigner("short")).toThrow(SessionConfigError);
    expect(() => new CookieSigner([])).toThrow(SessionConfigError);
    expect(() => new CookieSigner([current, "short"])).toThrow(SessionConfigError);
  });
});

describe("session IDs", () => {
  it("are 256-bit, URL-safe, unique, and hashed for keys", () => {
    const ids = new Set(Array.from({ length: 1000 }, generateSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(isWellFormedSessionId(id)).toBe(true);
      expect(Buffer.from(id, "base64url")).toHaveLength(32);
    }
    const [id] = ids as Set<string> & Iterable<string>;
    expect(hashSessionId(id as string)).not.toContain(id as string);
    expect(hashSessionId(id as string)).toHaveLength(43);
    expect(isWellFormedSessionId("short")).toBe(false);
    expect(isWellFormedSessionId(`${"a".repeat(42)}!`)).toBe(false);
  });
});
