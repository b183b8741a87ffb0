import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { django } from "../../../src/interop/django.js";
import {
  ForeignDecimal,
  ForeignSet,
  ForeignTuple,
  PyDate,
  PyDateTime,
  PyTimedelta,
} from "../../../src/interop/foreign-value.js";
import { readPickle } from "../../../src/interop/pickle/pickle-reader.js";
import { pickleToValue, valueToPickle } from "../../../src/interop/pickle/pickle-view.js";
import { type PickleProtocol, writePickle } from "../../../src/interop/pickle/pickle-writer.js";
import { decodesOrRefuses, FUZZ_TIMEOUT_MS, prototypeSnapshot, RUNS } from "../../support/fuzz.js";
import { commonLeaf, mutated, nested } from "./arbitrary-values.js";
import { corpus } from "./corpus.js";

const pythonLeaf = fc.oneof(
  commonLeaf,
  fc
    .tuple(
      fc.integer({ min: 1, max: 9999 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 999_999 }),
      fc.option(fc.integer({ min: -86399, max: 86399 })),
    )
    .map(([y, m, d, h, us, offset]) => new PyDateTime(y, m, d, h, 0, 0, us, offset)),
  fc
    .tuple(
      fc.integer({ min: 1, max: 9999 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
    )
    .map(([y, m, d]) => new PyDate(y, m, d)),
  fc
    .tuple(fc.integer({ min: -999, max: 999 }), fc.integer({ min: 0, max: 86399 }))
    .map(([d, s]) => new PyTimedelta(d, s, 0)),
  fc.constantFrom("1.10", "-0", "NaN", "Infinity", "1E+5").map((text) => new ForeignDecimal(text)),
  fc.array(fc.integer(), { maxLength: 3 }).map((items) => new ForeignTuple(items)),
  fc.uniqueArray(fc.string(), { maxLength: 3 }).map((items) => new ForeignSet(items, items.length % 2 === 1)),
);
const value = nested(pythonLeaf);
const streams = corpus("pickle-corpus.txt");

describe("Python pickle codec, property-based", () => {
  it("reads back what it writes, with every protocol it writes", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(value, fc.constantFrom<PickleProtocol>(4, 5), (v, protocol) => {
        const bytes = writePickle(valueToPickle(v), protocol);
        expect(pickleToValue(readPickle(bytes))).toEqual(v);
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never crashes and never pollutes a prototype on mutated Python pickles", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const before = prototypeSnapshot();
    const format = django();
    fc.assert(
      fc.property(mutated(streams), (bytes) => {
        decodesOrRefuses(() => pickleToValue(readPickle(bytes)));
        decodesOrRefuses(() => {
          const record = format.decode(bytes, 0);
          for (const node of record.attributes.values()) format.toValue(node);
        });
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never crashes on arbitrary bytes", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        decodesOrRefuses(() => pickleToValue(readPickle(Buffer.concat([Buffer.from([0x80, 4]), bytes]))));
      }),
      { numRuns: RUNS },
    );
  });
});
