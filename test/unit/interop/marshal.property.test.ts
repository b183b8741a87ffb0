import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ForeignTime, RubySymbol } from "../../../src/interop/foreign-value.js";
import { readMarshal } from "../../../src/interop/marshal/marshal-reader.js";
import { marshalToValue, valueToMarshal } from "../../../src/interop/marshal/marshal-view.js";
import { writeMarshal } from "../../../src/interop/marshal/marshal-writer.js";
import { rails } from "../../../src/interop/rails.js";
import { decodesOrRefuses, FUZZ_TIMEOUT_MS, prototypeSnapshot, RUNS } from "../../support/fuzz.js";
import { commonLeaf, mutated, nested } from "./arbitrary-values.js";
import { corpus } from "./corpus.js";

const rubyLeaf = fc.oneof(
  commonLeaf,
  fc.string().map((name) => new RubySymbol(name)),
  fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.option(fc.integer({ min: -86399, max: 86399 })))
    .map(([ns, offset]) => new ForeignTime(ns, offset)),
  fc
    .tuple(
      fc.bigInt({ min: 0n, max: 4n * 10n ** 18n }),
      fc.constantFrom("Europe/Berlin", "America/New_York", "UTC"),
    )
    .map(([ns, zone]) => new ForeignTime(ns, null, zone)),
);
const value = nested(rubyLeaf);
const streams = corpus("marshal-corpus.txt");

describe("Ruby Marshal codec, property-based", () => {
  it("reads back what it writes, and writes it again to the same bytes", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(value, (v) => {
        const bytes = writeMarshal(valueToMarshal(v));
        const node = readMarshal(bytes);
        expect(Buffer.from(writeMarshal(node)).equals(Buffer.from(bytes))).toBe(true);
        expect(marshalToValue(node)).toEqual(v);
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never crashes and never pollutes a prototype on mutated Ruby streams", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const before = prototypeSnapshot();
    const format = rails({ store: "cache" });
    fc.assert(
      fc.property(mutated(streams), (bytes) => {
        decodesOrRefuses(() => marshalToValue(readMarshal(bytes)));
        decodesOrRefuses(() => {
          const record = format.decode(bytes, 0);
          for (const node of record.attributes.values()) format.toValue(node);
        });
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never crashes on arbitrary bytes after the header", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        decodesOrRefuses(() => marshalToValue(readMarshal(Buffer.concat([Buffer.from([4, 8]), tail]))));
      }),
      { numRuns: RUNS },
    );
  });
});
