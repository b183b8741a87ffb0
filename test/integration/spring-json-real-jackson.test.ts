import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ForeignBytes,
  ForeignDecimal,
  ForeignOpaque,
  ForeignSet,
  ForeignTime,
  isPlainObject,
} from "../../src/interop/foreign-value.js";
import { jacksonCodec } from "../../src/interop/spring/json/jackson-codec.js";
import { RUNS } from "../support/fuzz.js";
import { compileJava, doubleBits, JACKSON_CLASSPATH, type JavaPrograms, javaQuote } from "../support/java.js";
import { nested } from "../unit/interop/arbitrary-values.js";

/**
 * Real Jackson (Debian's 2.14) configured as GenericJackson2JsonRedisSerializer is in both Spring
 * setups (test/fixtures/interop/spring-json/SpringJackson.java): it writes the committed corpus, and it
 * reads what sessionkit writes back to the Java types Node meant.
 */
const fixtures = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "interop",
  "spring-json",
);
const COUNT = Math.min(RUNS, 300);
const codec = jacksonCodec();
let programs: JavaPrograms;

function java(main: string, config: string, input = ""): string[] {
  return programs.run(main, [config], input).split("\n").slice(0, -1);
}

beforeAll(() => {
  programs = compileJava(fixtures, JACKSON_CLASSPATH);
});

afterAll(() => programs?.dispose());

/** Jackson 2.14 reads a bare integer as an Integer, a Long, or (19 digits and up) a BigInteger. */
function integer(value: bigint): string {
  const digits = (value < 0n ? -value : value).toString().length;
  if (value >= -(2n ** 31n) && value < 2n ** 31n) return `Integer ${value}`;
  return digits >= 19 ? `BigInteger ${value}` : `Long ${value}`;
}

function decimal(text: string): string {
  const match = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (match === null) throw new Error(text);
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  return `BigDecimal ${BigInt(`${sign}${whole}${fraction}`)}e${Number(exponent) - fraction.length}`;
}

/** What ReadValues prints for the Java value Node meant (see ReadValues.describe). */
function javaDescription(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return `Boolean ${value}`;
  if (typeof value === "string") return `String ${javaQuote(value)}`;
  if (typeof value === "bigint") return integer(value);
  if (typeof value === "number")
    return Number.isSafeInteger(value) && !Object.is(value, -0)
      ? integer(BigInt(value))
      : `Double ${doubleBits(value).toString(16).padStart(16, "0")}`;
  if (Array.isArray(value)) return `java.util.ArrayList[${value.map(javaDescription).join(", ")}]`;
  if (value instanceof ForeignTime) return `Date ${value.toDate().getTime()}`;
  if (value instanceof ForeignDecimal) return decimal(value.text);
  if (value instanceof ForeignBytes) return `byte[] ${Buffer.from(value.bytes).toString("base64")}`;
  if (value instanceof ForeignSet) {
    const items = value.items.map(javaDescription);
    // A frozen set is Collections.unmodifiableSet(new HashSet(...)): hash order, compared sorted.
    return value.frozen
      ? `java.util.Collections$UnmodifiableSet{${items.sort().join(", ")}}`
      : `java.util.LinkedHashSet{${items.join(", ")}}`;
  }
  if (isPlainObject(value))
    return `java.util.LinkedHashMap{${Object.keys(value)
      .map((key) => `String ${javaQuote(key)}=${javaDescription(value[key])}`)
      .join(", ")}}`;
  throw new Error(`no description for ${String(value)}`);
}

const base64Lines = (values: unknown[]) =>
  `${values.map((value) => Buffer.from(codec.encode(codec.fromValue(value))).toString("base64")).join("\n")}\n`;

/** The values the spring-session sample's mapper reads: Spring Security's allowlist has no Set, byte[] or BigDecimal. */
const allowlistedLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.constant(-0),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new ForeignTime(BigInt(ms) * 1_000_000n)),
  fc.uniqueArray(fc.string(), { maxLength: 3 }).map((items) => new ForeignSet(items, true)),
);
const everyLeaf = fc.oneof(
  allowlistedLeaf,
  fc.uint8Array({ maxLength: 20 }).map((bytes) => new ForeignBytes(bytes)),
  fc
    .tuple(fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }), fc.nat({ max: 6 }))
    .map(([digits, scale]) => new ForeignDecimal(scale === 0 ? `${digits}` : `${digits}e-${scale}`)),
  fc.uniqueArray(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }).map((items) => new ForeignSet(items)),
);
const noClassKey = (value: unknown) =>
  !JSON.stringify(value, (_, x) => (typeof x === "bigint" ? 0 : x))?.includes('"@class"');

describe("Spring JSON: real Jackson", () => {
  it("writes the committed corpus, in both Spring configurations", () => {
    const committed = readFileSync(path.join(fixtures, "corpus.txt"), "utf8");
    for (const config of ["sample", "default"])
      expect(`${java("fixture.MakeCorpus", config).join("\n")}\n`).toBe(committed);
  });

  for (const [config, leaf, seed] of [
    ["default", everyLeaf, 30],
    ["sample", allowlistedLeaf, 31],
  ] as const) {
    it(`reads what Node writes as the Java types Node meant (${config} configuration)`, () => {
      const values = fc.sample(nested(leaf).filter(noClassKey), { numRuns: COUNT, seed });
      const read = java("fixture.ReadValues", config, base64Lines(values));
      expect(read).toEqual(values.map(javaDescription));
    });
  }

  it("reads Spring Security's context and a POJO that Node moved into a new map", () => {
    const corpus = readFileSync(path.join(fixtures, "corpus.txt"), "utf8").split("\n");
    const context = corpus.find(
      (line) => line.includes('"username":"alice"') && line.startsWith('{"@class":"org'),
    );
    const cart = corpus.find((line) => line.startsWith('{"@class":"com.example.Cart"'));
    const contextValue = codec.toValue(codec.decode(Buffer.from(context as string)));
    const cartValue = codec.toValue(codec.decode(Buffer.from(cart as string)));
    expect(contextValue).toBeInstanceOf(ForeignOpaque);
    const moved = { context: contextValue, carts: [cartValue], n: 1 };
    for (const config of ["sample", "default"])
      expect(java("fixture.ReadValues", config, base64Lines([moved, contextValue]))).toEqual([
        'java.util.LinkedHashMap{String "context"=SecurityContextImpl name="alice", String "carts"=java.util.ArrayList[com.example.Cart], String "n"=Integer 1}',
        'SecurityContextImpl name="alice"',
      ]);
  });

  it("Spring Security's allowlist refuses what only the default configuration reads", () => {
    const values = [
      new ForeignSet(["a"]),
      new ForeignBytes(Uint8Array.of(1)),
      new ForeignDecimal("1.5"),
      ["ok"],
    ];
    expect(java("fixture.ReadValues", "sample", base64Lines(values))).toEqual([
      "ERROR java.lang.IllegalArgumentException",
      "ERROR java.lang.IllegalArgumentException",
      "ERROR java.lang.IllegalArgumentException",
      'java.util.ArrayList[String "ok"]',
    ]);
  });
});
