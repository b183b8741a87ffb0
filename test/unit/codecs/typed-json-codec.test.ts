import { describe, expect, it } from "vitest";
import { typedJsonCodec as codec } from "../../../src/codecs/typed-json-codec.js";
import { SessionCodecError } from "../../../src/common/errors.js";

const roundTrip = (value: unknown) => codec.decode(codec.encode(value));

describe("typed JSON codec", () => {
  it("round-trips plain JSON values unchanged", () => {
    for (const value of [0, -1.5, "text", "", true, null, [1, "a", null], { a: { b: [1, { c: "d" }] } }]) {
      expect(roundTrip(value)).toEqual(value);
    }
  });

  it("keeps Dates, BigInts, Maps, Sets and non-finite numbers as their types", () => {
    const date = new Date("2026-11-22T10:00:00.123Z");
    const value = {
      date,
      big: 12345678901234567890n,
      map: new Map<unknown, unknown>([
        ["k", new Date(0)],
        [1, { x: 1 }],
      ]),
      set: new Set([1, "two"]),
      numbers: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      invalid: new Date(Number.NaN),
    };
    const decoded = roundTrip(value) as typeof value;
    expect(decoded.date).toBeInstanceOf(Date);
    expect(decoded.date.getTime()).toBe(date.getTime());
    expect(decoded.big).toBe(12345678901234567890n);
    expect(decoded.map).toEqual(value.map);
    expect((decoded.map.get("k") as Date).getTime()).toBe(0);
    expect(decoded.set).toEqual(value.set);
    expect(decoded.numbers).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(Number.isNaN(decoded.invalid.getTime())).toBe(true);
  });

  it("never mistakes user keys that look like type tags for tags", () => {
    const value = { $t: "Date", v: "2020-01-01", $$x: 1, nested: [{ $t: "Map", v: [] }] };
    expect(roundTrip(value)).toEqual(value);
  });

  it("decodes __proto__ keys as own data, never as a prototype", () => {
    const decoded = codec.decode('{"__proto__":{"polluted":true},"$$__proto__":{"polluted":true}}') as Record<
      string,
      unknown
    >;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(["__proto__", "$__proto__"]);
    expect((decoded as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("refuses functions, symbols, cycles and undefined with a codec error", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [() => 1, { f: () => 1 }, Symbol("s"), cyclic, undefined]) {
      expect(() => codec.encode(value)).toThrow(SessionCodecError);
    }
  });

  it("rejects stored text that is not JSON or carries unknown markers", () => {
    for (const bad of ["{", "", '{"$t":"Evil","v":1}', '{"$x":1}']) {
      expect(() => codec.decode(bad)).toThrow(SessionCodecError);
    }
  });
});

/**
 * The fast paths added for the benchmark (bench/README.md) must answer exactly what the general paths
 * answer: these compare the two on the same inputs.
 */
const replacerOnly = (value: unknown) =>
  // The general path: what encode() wrote before the fast path (a replacer that changes nothing here).
  JSON.stringify(value, (_key, v: unknown) => v);

describe("typed JSON codec fast paths", () => {
  it("writes plain data exactly as the general path does", () => {
    const values: unknown[] = [
      { items: [{ sku: "A-1", qty: 2, price: 19.99, gift: false, note: null }], currency: "EUR" },
      [1, "two", [3, [4]], { five: 5 }, null, true],
      { nested: { deeper: { deepest: "x" } }, empty: {}, list: [] },
      { withUndefined: undefined, kept: 1, arr: [undefined, 2] },
      Object.assign(Object.create(null), { nullPrototype: true }),
      'text with "quotes" and \\ backslashes and \u0001 controls',
      0,
      -0,
      1e21,
      false,
      null,
    ];
    for (const value of values) expect(codec.encode(value)).toBe(replacerOnly(value));
  });

  it("still tags and escapes what is not plain JSON, at any depth", () => {
    const date = new Date("2026-01-02T03:04:05.006Z");
    const value = { a: [{ b: { when: date, big: 10n, $dollar: 1, n: Number.NaN } }] };
    const decoded = codec.decode(codec.encode(value)) as typeof value;
    const b = decoded.a[0]?.b as (typeof value.a)[0]["b"];
    expect(b.when).toBeInstanceOf(Date);
    expect(b.when.getTime()).toBe(date.getTime());
    expect(b.big).toBe(10n);
    expect(b.$dollar).toBe(1);
    expect(Number.isNaN(b.n)).toBe(true);
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    // A class instance takes the general path: the same JSON as before the fast path.
    expect(codec.encode({ p: new Point(1, 2) })).toBe('{"p":{"x":1,"y":2}}');
    expect(codec.encode({ j: { toJSON: () => "custom" } })).toBe('{"j":"custom"}');
  });

  it("reports cycles and deep nesting as before", () => {
    const cyclic: Record<string, unknown> = { a: {} };
    (cyclic.a as Record<string, unknown>).back = cyclic;
    expect(() => codec.encode(cyclic)).toThrow(/cannot encode/);
    let deep: unknown = "leaf";
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(codec.decode(codec.encode(deep))).toEqual(deep);
  });

  it("decodes without the reviver only when the reviver would change nothing", () => {
    expect(codec.decode('{"price":"$5","a":"x\\"$y"}')).toEqual({ price: "$5", a: 'x"$y' });
    // A key spelled with a \u escape is still a marker key.
    expect(() => codec.decode('{"\\u0024x":1}')).toThrow(/unknown marker key/);
    expect(codec.decode('{"\\u0024\\u0024x":1}')).toEqual({ $x: 1 });
    expect(codec.decode('{"$t":"Date","v":"2026-01-02T03:04:05.006Z"}')).toBeInstanceOf(Date);
    expect(codec.decode('"caf\\u00e9"')).toBe("café");
  });
});
