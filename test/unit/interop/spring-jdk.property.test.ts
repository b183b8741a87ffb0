import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ForeignDecimal,
  ForeignSet,
  ForeignTime,
  type ForeignValue,
} from "../../../src/interop/foreign-value.js";
import { jdkCodec } from "../../../src/interop/spring/jdk/jdk-codec.js";
import { bigDecimalText } from "../../../src/interop/spring/jdk/jdk-decimal.js";
import { decodesOrRefuses, FUZZ_TIMEOUT_MS, prototypeSnapshot, RUNS } from "../../support/fuzz.js";
import { commonLeaf, mutated, nested } from "./arbitrary-values.js";
import { springJdkCorpus } from "./spring-jdk-corpus.js";

const codec = jdkCodec();
const streams = [...springJdkCorpus().values()];

/** Leaves Java keeps without loss, beyond the common ones: decimals, instants to the millisecond. */
const javaLeaf = fc.oneof(
  commonLeaf,
  fc
    .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: -40, max: 40 }))
    .map(([unscaled, scale]) => new ForeignDecimal(bigDecimalText(unscaled, scale))),
  fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }).map((ms) => new ForeignTime(ms * 1_000_000n)),
);

const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", maxDepth: 5 },
    nested(javaLeaf),
    fc.array(tie("node"), { maxLength: 4 }).map((items) => new ForeignSet(items as ForeignValue[])),
    // Keys that are not strings make a Map (Java keeps them as Integer, Long...).
    fc
      .uniqueArray(fc.tuple(fc.integer(), tie("node")), {
        minLength: 1,
        maxLength: 4,
        selector: ([key]) => key,
      })
      .map((entries) => new Map(entries)),
  ),
})).node;

describe("Spring JDK codec, property-based", () => {
  it("reads back what it writes, and writes back what it reads byte for byte", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(value, (v) => {
        const bytes = codec.encode(codec.fromValue(v));
        const node = codec.decode(bytes);
        const view = codec.toValue(node);
        expect(view).toEqual(v);
        expect(Buffer.from(codec.encode(node)).equals(Buffer.from(bytes))).toBe(true);
        // The view handed back unchanged is the node as read.
        expect(Buffer.from(codec.encode(codec.fromValue(view))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never crashes, never pollutes a prototype, and writes back what it reads on mutated streams", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(mutated(streams), (bytes) => {
        decodesOrRefuses(() => {
          const node = codec.decode(bytes);
          expect(Buffer.from(codec.encode(node)).equals(bytes)).toBe(true);
          const view = codec.toValue(node);
          codec.securityContextPrincipal(node);
          codec.numberOf(node);
          codec.encode(codec.fromValue(view));
        });
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never crashes on arbitrary bytes after a header", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(
        fc.constantFrom("aced0005", "aced000573", "aced000575", "aced00057372", "aced00057e72", "aced00057d"),
        fc.uint8Array({ maxLength: 64 }),
        (head, tail) => {
          decodesOrRefuses(() => {
            const node = codec.decode(Buffer.concat([Buffer.from(head, "hex"), tail]));
            codec.toValue(node);
            codec.securityContextPrincipal(node);
          });
        },
      ),
      { numRuns: RUNS },
    );
  });
});
