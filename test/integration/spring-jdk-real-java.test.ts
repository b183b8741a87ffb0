import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ForeignBytes,
  ForeignDecimal,
  ForeignSet,
  ForeignTime,
  type ForeignValue,
  isPlainObject,
} from "../../src/interop/foreign-value.js";
import { jdkCodec } from "../../src/interop/spring/jdk/jdk-codec.js";
import { bigDecimalText } from "../../src/interop/spring/jdk/jdk-decimal.js";
import { RUNS } from "../support/fuzz.js";
import { compileJava, doubleBits, type JavaPrograms, javaQuote } from "../support/java.js";
import { commonLeaf, nested } from "../unit/interop/arbitrary-values.js";
import { springJdkCorpus, springJdkFixtures } from "../unit/interop/spring-jdk-corpus.js";

const codec = jdkCodec();
const corpus = springJdkCorpus();
const COUNT = Math.min(RUNS, 300);
let java: JavaPrograms;

/** ReadStreams' description of each stream, in order. */
function javaReads(streams: Uint8Array[]): string[] {
  const input = streams.map((bytes) => Buffer.from(bytes).toString("base64")).join("\n");
  return java.run("ReadStreams", [], `${input}\n`).trimEnd().split("\n");
}

/** What ReadStreams prints for the Java value Node means to write for `value` (see jdk-view.ts). */
function expected(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return `String:${javaQuote(value)}`;
  if (typeof value === "boolean") return `Boolean:${value}`;
  if (typeof value === "number") {
    if (Number.isInteger(value) && !Object.is(value, -0)) {
      if (value >= -(2 ** 31) && value < 2 ** 31) return `Integer:${value}`;
      if (Number.isSafeInteger(value)) return `Long:${value}`;
    }
    return `Double:${doubleBits(value).toString(16)}`;
  }
  if (typeof value === "bigint")
    return value >= -(2n ** 63n) && value < 2n ** 63n ? `Long:${value}` : `BigInteger:${value}`;
  if (value instanceof ForeignDecimal) return `BigDecimal:${value.text}`;
  if (value instanceof ForeignTime) return `Date:${value.epochNanoseconds / 1_000_000n}`;
  if (value instanceof Date) return `Date:${value.getTime()}`;
  if (value instanceof ForeignBytes) return `byte[]:${Buffer.from(value.bytes).toString("hex")}`;
  if (value instanceof ForeignSet) return `java.util.LinkedHashSet[${value.items.map(expected).join(",")}]`;
  if (Array.isArray(value)) return `java.util.ArrayList[${value.map(expected).join(",")}]`;
  if (value instanceof Map)
    return `java.util.LinkedHashMap{${[...value].map(([key, item]) => `${expected(key)}=${expected(item)}`).join(",")}}`;
  if (isPlainObject(value))
    return `java.util.LinkedHashMap{${Object.keys(value)
      .map((key) => `${expected(key)}=${expected(value[key])}`)
      .join(",")}}`;
  throw new Error(`no expectation for ${String(value)}`);
}

function view(label: string): ForeignValue {
  const bytes = corpus.get(label);
  if (bytes === undefined) throw new Error(`no corpus line ${label}`);
  return codec.toValue(codec.decode(bytes));
}

describe("Spring JDK codec against the real JDK (OpenJDK 17)", () => {
  beforeAll(() => {
    java = compileJava(path.join(springJdkFixtures, "java"));
  });

  afterAll(() => java?.dispose());

  it("writes today the corpus that is committed", () => {
    expect(java.run("MakeCorpus")).toBe(readFileSync(path.join(springJdkFixtures, "corpus.txt"), "utf8"));
  });

  it("reads every corpus stream as Node wrote it back, and what Node builds around values it read", () => {
    const labels = [...corpus.keys()];
    const originals = javaReads([...corpus.values()]);
    expect(originals.filter((line) => line.startsWith("ERROR"))).toEqual([]);
    const again = javaReads([...corpus.values()].map((bytes) => codec.encode(codec.decode(bytes))));
    expect(again).toEqual(originals);
    const javaView = new Map(labels.map((label, i) => [label, originals[i] as string]));

    const withPoint = view("opaque-in-list") as ForeignValue[];
    withPoint.push("added");
    const map = view("hashmap") as Record<string, ForeignValue>;
    map.d = 4;
    const green = view("enum");
    const cases: [Uint8Array, string][] = [
      [
        codec.encode(codec.fromValue(withPoint)),
        `java.util.ArrayList[${javaView.get("custom-writeobject")?.replace("(3,4,p)", "(1,2,q)")},String:"after",String:"added"]`,
      ],
      [
        codec.encode(codec.fromValue({ context: view("security-context-user"), n: 1 })),
        `java.util.LinkedHashMap{String:"context"=${javaView.get("security-context-user")},String:"n"=Integer:1}`,
      ],
      [codec.encode(codec.fromValue(map)), expected({ a: 1, b: "x", c: null, d: 4 })],
      [
        codec.encode(codec.fromValue([green, green, view("externalizable"), view("proxy")])),
        `java.util.ArrayList[${javaView.get("enum")},${javaView.get("enum")},${javaView.get("externalizable")},${javaView.get("proxy")}]`,
      ],
      [
        codec.encode(codec.fromValue([view("cyclic-list")])),
        `java.util.ArrayList[${javaView.get("cyclic-list")}]`,
      ],
      [codec.encode(codec.fromValue(view("cyclic-list"))), javaView.get("cyclic-list") as string],
      [
        codec.map([
          ["creationTime", codec.long(1700000000123)],
          ["maxInactiveInterval", codec.int(1800)],
          ["lastAccessedTime", codec.long(1700000000999)],
        ]),
        'java.util.HashMap{String:"lastAccessedTime"=Long:1700000000999,String:"maxInactiveInterval"=Integer:1800,String:"creationTime"=Long:1700000000123}',
      ],
      [codec.encode(codec.long(-1)), "Long:-1"],
      [codec.encode(codec.int(-5)), "Integer:-5"],
    ];
    expect(javaReads(cases.map(([bytes]) => bytes))).toEqual(cases.map(([, description]) => description));
  });

  it("reads what Node writes as the value Node meant", () => {
    const leaf = fc.oneof(
      commonLeaf,
      fc
        .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: -40, max: 40 }))
        .map(([unscaled, scale]) => new ForeignDecimal(bigDecimalText(unscaled, scale))),
      fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }).map((ms) => new ForeignTime(ms * 1_000_000n)),
    );
    const values: unknown[] = [
      ...fc.sample(nested(leaf), { numRuns: COUNT, seed: 30 }),
      "a\0b",
      "x\ud800y 😀",
      "é".repeat(40000),
      new ForeignSet(["a", 1, null, 2n ** 70n]),
      new Map<unknown, unknown>([
        [1, "int key"],
        [2 ** 40, "long key"],
        ["s", new Date(1700000000123)],
      ]),
      new ForeignDecimal("-0.000001"),
      new ForeignDecimal("1E-7"),
      [Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53, 1e300],
    ];
    const streams = values.map((value) => codec.encode(codec.fromValue(value)));
    expect(javaReads(streams)).toEqual(values.map(expected));
  });
});
