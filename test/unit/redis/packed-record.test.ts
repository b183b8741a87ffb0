import { describe, expect, it } from "vitest";
import { createKeyLayout, DEFAULT_KEY_PREFIX } from "../../../src/redis/key-layout.js";
import { escapePart, packRecord, unescapeStored, unpackRecord } from "../../../src/redis/packed-record.js";
import { principalTag, sessionKeyId } from "../../../src/session/session-id.js";

describe("packed session records", () => {
  it("round-trips fields, in order, whatever they contain", () => {
    const fields = {
      $c: "1767225600000",
      $a: "1767225600001",
      $x: "1768435200000",
      user: '"ann"',
      empty: "",
      "": "empty name",
      $$dollar: "1",
      unicode: '"Grüße, 日本語, 🎉🎉 and a lone \\ud83d"',
      control: "a\x1eb\x1fc\x1dd\x1d0\x1d",
      "name\x1fwith\x1eseparators\x1d": "v",
      big: "x".repeat(100_000),
    };
    const packed = packRecord(fields);
    expect(unpackRecord(packed)).toEqual(fields);
    expect(Object.keys(unpackRecord(packed) ?? {})).toEqual(Object.keys(fields));
  });

  it("keeps an attribute named __proto__ as a field, not as the object's prototype", () => {
    for (const fields of [
      { ["__proto__"]: "1", a: "2" },
      { ["__proto__"]: "\x1e", a: "2" },
    ]) {
      const unpacked = unpackRecord(packRecord(Object.fromEntries(Object.entries(fields))));
      expect(Object.getPrototypeOf(unpacked)).toBe(Object.prototype);
      expect(Object.entries(unpacked ?? {})).toEqual(Object.entries(fields));
    }
  });

  it("escapes only the three separator characters, and leaves other strings as they are", () => {
    const plain = '{"items":[1,2,3],"s":"\\u001e"}';
    expect(escapePart(plain)).toBe(plain);
    expect(escapePart("\x1d\x1e\x1f")).toBe("\x1d0\x1d1\x1d2");
    expect(unescapeStored("\x1d0\x1d1\x1d2")).toBe("\x1d\x1e\x1f");
    expect(unescapeStored("\x1d9")).toBeUndefined();
  });

  it("answers null for what it cannot have written (a corrupt record), never throws", () => {
    for (const bad of ["", "no separator", "a\x1fb\x1eno separator", "a\x1fb\x1d", "a\x1fb\x1d7", "\x1e"]) {
      expect(unpackRecord(bad)).toBeNull();
    }
    expect(unpackRecord("a\x1f")).toEqual({ a: "" });
  });

  it("keeps session keys within 44 characters (Redis's 48-byte key allocation) with the default prefix", () => {
    expect(DEFAULT_KEY_PREFIX).toBe("sk");
    const keys = createKeyLayout(DEFAULT_KEY_PREFIX, "default");
    const keyId = sessionKeyId("A".repeat(43));
    expect(keyId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(keys.sessionKey(keyId)).toHaveLength(37);
    expect(keys.sessionKey(keyId)).toBe(`sk:default:s:{${keyId}}`);
    const principalKeyId = sessionKeyId(`${principalTag("ann")}.${"A".repeat(43)}`);
    expect(principalKeyId).toMatch(/^[A-Za-z0-9_-]{7}\.[A-Za-z0-9_-]{22}$/);
    expect(keys.sessionKey(principalKeyId)).toHaveLength(44);
  });
});
