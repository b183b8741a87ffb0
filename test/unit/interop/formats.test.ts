import { describe, expect, it } from "vitest";
import { ErrorCodes, type SessionError } from "../../../src/common/errors.js";
import { django } from "../../../src/interop/django.js";
import type { ForeignFormat } from "../../../src/interop/foreign-format.js";
import { rails } from "../../../src/interop/rails.js";

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ""), "hex");
const NOW = Date.UTC(2026, 0, 1);

function roundTrip<N>(format: ForeignFormat<N>, data: Record<string, unknown>, ttlMs = 60_000) {
  const attributes = new Map(Object.entries(data).map(([k, v]) => [k, format.fromValue(v)] as [string, N]));
  const bytes = format.encode({ attributes }, ttlMs, NOW);
  const record = format.decode(bytes, NOW);
  return {
    bytes,
    record,
    data: Object.fromEntries([...record.attributes].map(([k, n]) => [k, format.toValue(n)])),
  };
}

describe("Rails formats", () => {
  it("reads the Rails 7.1 cache entry of the anchors document, with and without an expiry", () => {
    const payload =
      "0408 7b07 4922 0c 757365725f6964 06 3a 06 45 54 69 2f 4922 09 6e616d65 06 3b00 54 4922 09 5a6fc3ab 06 3b00 54";
    const format = rails({ store: "cache" });
    const none = format.decode(hex(`0011 01 000000000000f0bf ffffffff ${payload}`), NOW);
    expect(none.expiresAtMs).toBeUndefined();
    expect(format.toValue(none.attributes.get("name") as never)).toBe("Zoë");
    const dated = format.decode(hex(`0011 01 000000406e55da41 ffffffff ${payload}`), NOW);
    expect(dated.expiresAtMs).toBe(Date.UTC(2026, 0, 1));
  });

  it.each(["6.1", "7.0", "7.1"] as const)(
    "writes and reads the %s cache entry, compressed at 1 KiB",
    (cacheFormat) => {
      const format = rails({ store: "cache", cacheFormat });
      const small = roundTrip(format, { user_id: 42 });
      expect(small.data).toEqual({ user_id: 42 });
      expect(small.record.expiresAtMs).toBe(NOW + 60_000);
      const big = roundTrip(format, { blob: "x".repeat(5000) });
      expect(big.data).toEqual({ blob: "x".repeat(5000) });
      expect(big.bytes.length).toBeLessThan(500);
    },
  );

  it("keys: Rack's hashed private ID, with the namespace; only 32 lowercase hex characters are IDs", () => {
    const id = "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99";
    const privateId = "2::f2792db61cdab9415da5e238a9eb3815a626e94aaa8ea6196b4531978e4cbf99";
    expect(rails({ store: "cache" }).keyFor(id)).toBe(`_session_id:${privateId}`);
    expect(rails({ store: "cache", namespace: "app" }).keyFor(id)).toBe(`app:_session_id:${privateId}`);
    expect(rails({ store: "redis-store" }).keyFor(id)).toBe(`rack:session:${privateId}`);
    for (const bad of [privateId, id.toUpperCase(), `${id}0`, "", "../x"])
      expect(rails({ store: "cache" }).keyFor(bad)).toBeUndefined();
    expect(rails({ store: "cache" }).newId()).toMatch(/^[0-9a-f]{32}$/);
  });

  it("refuses a configuration that would write keys without a TTL", () => {
    expect(() => rails({ store: "cache", expireAfter: 0 })).toThrow(/TTL/);
  });

  it("a compressed entry that inflates past the limit is refused, not inflated", () => {
    const format = rails({ store: "cache", limits: { maxBytes: 10_000 } });
    const big = rails({ store: "cache" });
    const bytes = big.encode({ attributes: new Map([["a", big.fromValue("x".repeat(50_000))]]) }, 1000, NOW);
    expect(() => format.decode(bytes, NOW)).toThrow(
      expect.objectContaining({ code: ErrorCodes.TOO_LARGE }) as SessionError,
    );
  });
});

describe("Django format", () => {
  it("keys: prefix, version and the cache engine's prefix; Django's key alphabet", () => {
    const id = "q9z3k8w1m2n4b5v6c7x8l0p1o2i3u4y5";
    expect(django().keyFor(id)).toBe(`:1:django.contrib.sessions.cache${id}`);
    expect(django({ keyPrefix: "app", version: 3 }).keyFor(id)).toBe(
      `app:3:django.contrib.sessions.cache${id}`,
    );
    for (const bad of ["short", id.toUpperCase(), "a b c d e f g h", ""])
      expect(django().keyFor(bad)).toBeUndefined();
    expect(django().newId()).toMatch(/^[a-z0-9]{32}$/);
  });

  it.each(["zlib", "gzip", undefined] as const)("writes and reads with compressor %s", (compressor) => {
    const format = django(compressor ? { compressor } : {});
    expect(roundTrip(format, { a: 1 }).data).toEqual({ a: 1 });
    const big = roundTrip(format, { blob: "y".repeat(5000) });
    expect(big.data).toEqual({ blob: "y".repeat(5000) });
    if (compressor) expect(big.bytes.length).toBeLessThan(500);
  });

  it("the TTL follows _session_expiry, and an explicit TTL rewrites an integer one", () => {
    const format = django();
    const record = { attributes: new Map([["_session_expiry", format.fromValue(300)]]) };
    expect(format.ttlMsFor(record, NOW)).toBe(300_000);
    format.withTtl?.(record, 600_000, NOW);
    expect(format.toValue(record.attributes.get("_session_expiry") as never)).toBe(600);
    const dated = { attributes: new Map([["_session_expiry", format.fromValue(new Date(NOW + 90_000))]]) };
    expect(format.ttlMsFor(dated, NOW)).toBe(90_000);
    format.withTtl?.(dated, 600_000, NOW);
    expect(format.ttlMsFor(dated, NOW)).toBe(600_000);
    expect(format.ttlMsFor({ attributes: new Map() }, NOW)).toBe(1_209_600_000);
  });
});
