import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packRecord, unpackRecord, unpackRecordMap } from "../../../src/redis/packed-record.js";
import { FUZZ_TIMEOUT_MS, prototypeSnapshot, RUNS } from "../../support/fuzz.js";

/** Strings rich in the separators and the escape character. */
const part = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom("\x1d", "\x1e", "\x1f", "0", "1", "2", "a", "$", "é", "😀") }),
  fc.constantFrom("__proto__", "constructor", "$c", "$$x", ""),
);

describe("packed record, property-based", () => {
  it("unpacks what it packs, field for field, in order", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(part, part), { selector: ([name]) => name, minLength: 1, maxLength: 8 }),
        (entries) => {
          const fields = Object.create(null) as Record<string, string>;
          for (const [name, value] of entries) fields[name] = value;
          const packed = packRecord(fields);
          // In the fields' own order (JavaScript puts integer-like names first).
          const expected = Object.entries(fields);
          expect([...(unpackRecordMap(packed) ?? [])]).toEqual(expected);
          const object = unpackRecord(packed);
          expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
          expect(Object.entries(object ?? {})).toEqual(expected);
        },
      ),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("answers a record or null for any string, never throws", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(part, (text) => {
        const fields = unpackRecordMap(text);
        expect(fields === null || fields instanceof Map).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
