import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineOwn, emptyObject, ForeignBytes } from "../../../src/interop/foreign-value.js";
import { DEFAULT_PHP_LIMITS } from "../../../src/interop/php/php-node.js";
import { readPhp } from "../../../src/interop/php/php-reader.js";
import {
  decodePhpSession,
  encodePhpSession,
  type PhpSerializeHandler,
} from "../../../src/interop/php/php-session.js";
import { phpToValue, valueToPhp } from "../../../src/interop/php/php-view.js";
import { PhpWriter } from "../../../src/interop/php/php-writer.js";
import { decodesOrRefuses, FUZZ_TIMEOUT_MS, prototypeSnapshot, RUNS } from "../../support/fuzz.js";
import { mutated, objectKey } from "./arbitrary-values.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "interop");
const streams = readFileSync(path.join(fixtures, "php-corpus.txt"), "utf8")
  .trim()
  .split("\n")
  .map((line) => Buffer.from(line, "base64"));

/** Values PHP keeps without loss (an integral float reads back as an int, so floats here are not). */
const phpLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((n) => n < -(2n ** 53n) || n > 2n ** 53n),
  fc.double().filter((d) => !Number.isSafeInteger(d)),
  fc.constant(-0),
  fc.string({ unit: "grapheme" }),
  // Bytes that are not UTF-8 (valid UTF-8 bytes read back as a string).
  fc.uint8Array({ maxLength: 20 }).map((bytes) => new ForeignBytes(Uint8Array.from([0xff, ...bytes]))),
);

const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", maxDepth: 6 },
    phpLeaf,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.array(fc.tuple(objectKey, tie("node")), { minLength: 1, maxLength: 4 }).map((entries) => {
      const object = emptyObject();
      for (const [key, item] of entries) defineOwn(object, key, item);
      return object;
    }),
    fc
      .uniqueArray(fc.tuple(fc.integer({ min: -5, max: 5 }), tie("node")), {
        minLength: 1,
        maxLength: 4,
        selector: ([key]) => key,
      })
      .filter((entries) => entries.some(([key]) => key >= 0) && entries.some(([key], i) => key !== i))
      .map((entries) => new Map(entries)),
  ),
})).node;

const names = fc.uniqueArray(
  fc.string({ unit: "grapheme" }).filter((name) => !name.includes("|") && !/^(0|-?[1-9]\d*)$/.test(name)),
  {
    maxLength: 5,
  },
);

describe("PHP serialize codec, property-based", () => {
  it("reads back what it writes", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(value, (v) => {
        const writer = new PhpWriter();
        writer.value(valueToPhp(v));
        const bytes = writer.bytes();
        const node = readPhp(bytes, DEFAULT_PHP_LIMITS);
        expect(phpToValue(node)).toEqual(v);
        // And what it read, it writes back byte for byte.
        const again = new PhpWriter();
        again.value(node);
        expect(Buffer.from(again.bytes()).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("reads back whole sessions with both handlers", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(
        names,
        fc.array(value, { minLength: 5, maxLength: 5 }),
        fc.constantFrom<PhpSerializeHandler>("php", "php_serialize"),
        (keys, values, handler) => {
          const attributes = new Map(keys.map((key, i) => [key, valueToPhp(values[i])]));
          const bytes = encodePhpSession(attributes, handler);
          const read = decodePhpSession(bytes, handler, DEFAULT_PHP_LIMITS);
          expect([...read.keys()]).toEqual(keys);
          for (const [i, key] of keys.entries())
            expect(phpToValue(read.get(key) as never)).toEqual(values[i]);
          expect(Buffer.from(encodePhpSession(read, handler)).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("never crashes and never pollutes a prototype on mutated PHP values", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(mutated(streams), (bytes) => {
        decodesOrRefuses(() => {
          const node = readPhp(bytes, DEFAULT_PHP_LIMITS);
          phpToValue(node);
          // What reads, writes back as read.
          const writer = new PhpWriter();
          writer.value(node);
          expect(Buffer.from(writer.bytes()).equals(bytes)).toBe(true);
        });
        for (const handler of ["php", "php_serialize"] as const)
          decodesOrRefuses(() => {
            for (const node of decodePhpSession(bytes, handler, DEFAULT_PHP_LIMITS).values())
              phpToValue(node);
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
        fc.constantFrom("a:2:{", "s:", "a|", "i:", "R:"),
        (bytes, head) => {
          const data = Buffer.concat([Buffer.from(head), bytes]);
          decodesOrRefuses(() => phpToValue(readPhp(data, DEFAULT_PHP_LIMITS)));
          decodesOrRefuses(() => decodePhpSession(data, "php", DEFAULT_PHP_LIMITS));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
