import fc from "fast-check";
import { defineOwn, emptyObject, ForeignBytes } from "../../../src/interop/foreign-value.js";

/** Keys a JS object keeps in order (no integer-like keys), "__proto__" and friends included. */
export const objectKey = fc.oneof(
  fc.string().filter((key) => !/^(0|[1-9]\d{0,9})$/.test(key)),
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty"),
);

const text = fc.string({ unit: "grapheme" });

/** Leaves every format maps without loss (floats that are not integers: an integral float reads back as an Integer). */
export const commonLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).filter((n) => n < -(2n ** 53n) || n > 2n ** 53n),
  fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
  fc.constant(-0),
  text,
  fc.uint8Array({ maxLength: 20 }).map((bytes) => new ForeignBytes(bytes)),
);

/** Nested arrays and null-prototype objects over `leaf`. */
export function nested(leaf: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small", maxDepth: 6 },
      leaf,
      fc.array(tie("node"), { maxLength: 4 }),
      fc.array(fc.tuple(objectKey, tie("node")), { maxLength: 4 }).map((entries) => {
        const object = emptyObject();
        for (const [key, value] of entries) defineOwn(object, key, value);
        return object;
      }),
    ),
  })).node;
}

/** Mutations of a real stream: flipped, dropped, inserted and truncated bytes. */
export function mutated(streams: Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.constantFrom(...streams),
      fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("flip", "drop", "insert")),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
      fc.option(fc.nat()),
    )
    .map(([stream, edits, cut]) => {
      const bytes = [...stream];
      for (const [at, value, kind] of edits) {
        const i = bytes.length === 0 ? 0 : at % bytes.length;
        if (kind === "flip") bytes[i] = value;
        else if (kind === "drop") bytes.splice(i, 1);
        else bytes.splice(i, 0, value);
      }
      return Buffer.from(cut === null ? bytes : bytes.slice(0, cut % (bytes.length + 1)));
    });
}
