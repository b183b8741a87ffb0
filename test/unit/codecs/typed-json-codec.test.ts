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
