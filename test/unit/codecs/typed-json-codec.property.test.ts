import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { typedJsonCodec as codec } from "../../../src/codecs/typed-json-codec.js";
import { SessionCodecError, SessionError } from "../../../src/common/errors.js";
import { FUZZ_TIMEOUT_MS, prototypeSnapshot, RUNS } from "../../support/fuzz.js";

/** Values the codec promises to keep: JSON plus Date, Map, Set, BigInt, NaN and infinities, "$" keys. */
const leaf = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  // -0 is written as JSON writes it, 0 (documented in the README's codec option).
  fc.double().filter((d) => !Object.is(d, -0)),
  fc.integer(),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
  fc.constantFrom("__proto__", "constructor", "$t", "$$x", "toString"),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("node"), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(fc.string(), fc.constantFrom("__proto__", "$t", "$x", "$$y", "constructor")),
      tie("node"),
      {
        maxKeys: 5,
      },
    ),
    fc.array(fc.tuple(tie("node"), tie("node")), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie("node"), { maxLength: 3 }).map((items) => new Set(items)),
  ),
})).node;

describe("typed JSON codec, property-based", () => {
  it("decodes what it encodes to an equal value", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const before = prototypeSnapshot();
    fc.assert(
      fc.property(value, (v) => {
        const encoded = codec.encode(v);
        const decoded = codec.decode(encoded);
        // The same encoding again: every type, key ("__proto__" included) and number survived.
        expect(codec.encode(decoded)).toBe(encoded);
        expect(sameShape(decoded, v)).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("never throws anything but a SessionError on any text, and never pollutes a prototype", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const before = prototypeSnapshot();
    const text = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify({ $t: "Map", v })),
      fc.constantFrom(
        '{"__proto__":{"polluted":1}}',
        '{"$t":"Evil"}',
        '{"$x":1}',
        '{"constructor":{"prototype":{"polluted":1}}}',
      ),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          const decoded = codec.decode(t) as { polluted?: unknown } | null;
          if (decoded !== null && typeof decoded === "object") {
            expect(
              Object.getPrototypeOf(decoded) === Object.prototype ||
                decoded instanceof Map ||
                decoded instanceof Set ||
                Array.isArray(decoded) ||
                decoded instanceof Date,
            ).toBe(true);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(SessionCodecError);
        }
      }),
      { numRuns: RUNS },
    );
    expect(prototypeSnapshot()).toBe(before);
  });

  it("refuses only with a SessionError (a function, a symbol, a cycle, too deep)", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const bad = fc.oneof(
      fc.constant(() => 1),
      fc.constant(Symbol("s")),
      fc.integer({ min: 513, max: 2000 }).map((depth) => {
        let deep: unknown = 1;
        for (let i = 0; i < depth; i++) deep = [deep];
        return deep;
      }),
    );
    fc.assert(
      fc.property(bad, value, (b, v) => {
        expect(() => codec.encode({ ok: v, bad: b })).toThrow(SessionError);
      }),
      { numRuns: Math.min(RUNS, 2000) },
    );
  });
});

/** The same kinds of values at the same places (what the encoding alone could not tell apart). */
function sameShape(a: unknown, b: unknown): boolean {
  if (a instanceof Map && b instanceof Map) return sameShape([...a], [...b]);
  if (a instanceof Set && b instanceof Set) return sameShape([...a], [...b]);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameShape(x, b[i]));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    if (Object.getPrototypeOf(a) !== Object.prototype) return false;
    const keys = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return (
      Object.keys(a).length === keys.length &&
      keys.every(
        (k) =>
          Object.hasOwn(a, k) &&
          sameShape(
            Object.getOwnPropertyDescriptor(a, k)?.value,
            Object.getOwnPropertyDescriptor(b, k)?.value,
          ),
      )
    );
  }
  return Object.is(a, b);
}
