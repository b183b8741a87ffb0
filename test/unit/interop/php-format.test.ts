import { describe, expect, it } from "vitest";
import { SessionCodecError, SessionConfigError } from "../../../src/common/errors.js";
import { php } from "../../../src/interop/php.js";

const SID = "0123456789abcdef0123456789abcdef";

describe("php() format", () => {
  it("uses phpredis's key, PHP's cookie and gc_maxlifetime", () => {
    const format = php();
    expect(format.name).toBe("php-php");
    expect(format.cookieName).toBe("PHPSESSID");
    expect(format.keyFor(SID)).toBe(`PHPREDIS_SESSION:${SID}`);
    // php.ini-production's 26 characters of 5 bits, and PHP's ",-" characters.
    expect(format.keyFor("a0v9k2m3n4b5c6d7e8f9g0h1i2")).toBeDefined();
    expect(format.keyFor("ab,-cdefghijklmnopqrstuvwxyz")).toBeDefined();
    for (const bad of ["short", "x".repeat(257), `${SID}|x`, `${SID}\n`, "../../etc/passwd-aaaaaaaaaaaa"])
      expect(format.keyFor(bad), bad).toBeUndefined();
    expect(format.newId()).toMatch(/^[0-9a-f]{32}$/);
    expect(format.ttlMsFor({ attributes: new Map() }, 0)).toBe(1_440_000);
    expect(php({ prefix: "app:", ttl: "2h", cookieName: "SID" }).keyFor(SID)).toBe(`app:${SID}`);
    expect(php({ ttl: "2h" }).ttlMsFor({ attributes: new Map() }, 0)).toBe(7_200_000);
  });

  it("validates its options; the lock always has a TTL", () => {
    expect(php().locking).toBeUndefined();
    expect(php({ locking: true }).locking).toEqual({ expireMs: 30_000, retries: 100, waitMs: 20 });
    expect(php({ locking: { expire: "5s", retries: 10, wait: 2 } }).locking).toEqual({
      expireMs: 5000,
      retries: 10,
      waitMs: 2,
    });
    expect(() => php({ locking: { expire: 0 } })).toThrow(SessionConfigError);
    expect(() => php({ locking: { retries: -1 } })).toThrow(SessionConfigError);
    expect(() => php({ ttl: 0 })).toThrow(SessionConfigError);
    expect(() => php({ serializeHandler: "php_binary" as never })).toThrow(SessionConfigError);
  });

  it("decodes and encodes records with both handlers", () => {
    for (const [serializeHandler, text] of [
      ["php", 'a|i:1;b|s:1:"x";'],
      ["php_serialize", 'a:2:{s:1:"a";i:1;s:1:"b";s:1:"x";}'],
    ] as const) {
      const format = php({ serializeHandler });
      const record = format.decode(Buffer.from(text), 0);
      expect(format.toValue(record.attributes.get("b") as never)).toBe("x");
      record.attributes.set("c", format.fromValue([true]));
      const written = Buffer.from(format.encode(record, 1000, 0)).toString();
      expect(format.decode(Buffer.from(written), 0).attributes.size).toBe(3);
    }
  });

  it('objects: "opaque" keeps them, "refuse" treats the record as corrupt', () => {
    const text = 'o|O:8:"stdClass":0:{}';
    expect(php().decode(Buffer.from(text), 0).attributes.size).toBe(1);
    expect(() => php({ objects: "refuse" }).decode(Buffer.from(text), 0)).toThrow(SessionCodecError);
  });
});
