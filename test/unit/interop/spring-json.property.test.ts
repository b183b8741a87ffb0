import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ForeignBytes, ForeignDecimal, ForeignSet, ForeignTime } from "../../../src/interop/foreign-value.js";
import { jacksonCodec } from "../../../src/interop/spring/json/jackson-codec.js";
import { decodesOrRefuses, FUZZ_TIMEOUT_MS, prototypeSnapshot, RUNS } from "../../support/fuzz.js";
import { mutated, nested } from "./arbitrary-values.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "interop");
const streams = readFileSync(path.join(fixtures, "spring-json", "corpus.txt"), "utf8")
  .split("\n")
  .filter((line) => line !== "" && !line.startsWith("#"))
  .map((line) => Buffer.from(line));

const codec = jacksonCodec();

/**
 * Values the Jackson codec keeps without loss: integers (numbers while exact, else BigInt), doubles
 * that are not integers (an integral double reads back as an Integer), strings with lone surrogates
 * too (Jackson escapes them), and the typed values: byte[], BigDecimal, Date (milliseconds), Sets.
 */
const jacksonLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).filter((n) => n < -(2n ** 53n) || n > 2n ** 53n),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.constant(-0),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => new ForeignBytes(bytes)),
  fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat({ max: 8 })).map(([digits, scale]) => {
    const text = (digits < 0n ? -digits : digits).toString().padStart(scale + 1, "0");
    const sign = digits < 0n ? "-" : "";
    return new ForeignDecimal(
      scale === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -scale)}.${text.slice(-scale)}`,
    );
  }),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new ForeignTime(BigInt(ms) * 1_000_000n)),
  fc
    .tuple(fc.uniqueArray(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }), fc.boolean())
    .map(([items, frozen]) => new ForeignSet(items, frozen)),
);

const value = nested(jacksonLeaf).filter(
  (v) => !JSON.stringify(v, (_, x) => (typeof x === "bigint" ? 0 : x))?.includes('"@class"'),
);

describe("Spring JSON codec, property-based", () => {
  it("reads back what it writes, and writes what it read byte for byte", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(value, (v) => {
        const bytes = codec.encode(codec.fromValue(v));
        const node = codec.decode(bytes);
        expect(codec.toValue(node)).toEqual(v);
        expect(Buffer.from(codec.encode(structuredClone(node))).equals(Buffer.from(bytes))).toBe(true);
        // Handed back unchanged, a value read is the node it was read from.
        expect(
          Buffer.from(codec.encode(codec.fromValue(codec.toValue(node)))).equals(Buffer.from(bytes)),
        ).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never crashes, hangs or pollutes a prototype on mutated corpus values", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(mutated(streams), (bytes) => {
        decodesOrRefuses(() => {
          const node = codec.decode(bytes);
          // What reads, writes back as read, and its view writes back as read.
          expect(Buffer.from(codec.encode(node)).equals(bytes)).toBe(true);
          const view = codec.toValue(node);
          // (A primitive has no memory of its node: "1.0" reads as 1 and 1 is written "1".)
          if (typeof view === "object" && view !== null)
            expect(
              Buffer.from(codec.encode(codec.fromValue(view))).equals(Buffer.from(codec.encode(node))),
            ).toBe(true);
          codec.securityContextPrincipal(node);
          codec.numberOf(node);
        });
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never crashes on arbitrary bytes", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom('{"@class":"', '["java.util.ArrayList",[', '"', "-", "[", "{"),
        (bytes, head) => {
          decodesOrRefuses(() => codec.toValue(codec.decode(Buffer.concat([Buffer.from(head), bytes]))));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
