import { describe, expect, it } from "vitest";
import { SessionConfigError } from "../../../../src/common/errors.js";
import { CookieSigner } from "../../../../src/session/cookies/cookie-signer.js";
import {
  generateSessionId,
  hashSessionId,
  isWellFormedSessionId,
} from "../../../../src/session/session-id.js";

const current = "current-secret-0123456789-abcdefghijklmn";
const old = "older-secret-0123456789-abcdefghijklmnop";

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
    // Placeholders as long as a real secret are no secret either.
    for (const placeholder of [
      " ".repeat(40),
      "x".repeat(40),
      `${" ".repeat(30)}abc`,
      "abababababababababababababababab",
    ]) {
      expect(() => new CookieSigner(placeholder), JSON.stringify(placeholder)).toThrow(/placeholder/);
    }
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

  it("have the shape of 43 base64url characters, optionally behind a 7-character tag and a dot", () => {
    const random = generateSessionId();
    const tagged = generateSessionId("Ab-_9zQ");
    expect(isWellFormedSessionId(tagged)).toBe(true);
    for (const bad of [
      "",
      random.slice(1),
      `${random}A`,
      `Ab-_9zQ${random}`.slice(0, 51),
      `Ab-_9z.${random}A`,
      `Ab-_9zQ!${random}`,
      `Ab+_9zQ.${random}`,
      `${random.slice(0, 42)}=`,
      `${random.slice(0, 42)}é`,
      `${random.slice(0, 42)}\u{1F600}`.slice(0, 43),
      `${random.slice(0, 20)}.${random.slice(21)}`,
      `Ab-_9zQ.${random.slice(0, 20)}.${random.slice(21)}`,
    ]) {
      expect(isWellFormedSessionId(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it("are checked as the regular expression of their shape would check them", () => {
    const shape = /^(?:[A-Za-z0-9_-]{7}\.)?[A-Za-z0-9_-]{43}$/;
    const alphabet = "ABCxyz019-_.+/=!é\u0000";
    for (let n = 0; n < 5000; n++) {
      const base = n % 2 === 0 ? generateSessionId() : generateSessionId("tag_AZ9");
      const chars = [...base];
      // Change one or two characters, or the length, at random.
      for (let k = 0; k <= n % 2; k++) {
        const at = Math.floor(Math.random() * (chars.length + 1));
        const op = Math.floor(Math.random() * 3);
        const c = alphabet[Math.floor(Math.random() * alphabet.length)] as string;
        if (op === 0) chars[at] = c;
        else if (op === 1) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      const candidate = chars.join("");
      expect(isWellFormedSessionId(candidate), JSON.stringify(candidate)).toBe(shape.test(candidate));
    }
  });
});
