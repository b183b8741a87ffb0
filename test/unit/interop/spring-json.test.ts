import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ErrorCodes, SessionError } from "../../../src/common/errors.js";
import {
  defineOwn,
  emptyObject,
  ForeignBytes,
  ForeignDecimal,
  ForeignOpaque,
  ForeignSet,
  ForeignTime,
  RubySymbol,
} from "../../../src/interop/foreign-value.js";
import { jacksonCodec } from "../../../src/interop/spring/json/jackson-codec.js";
import type { JacksonNode } from "../../../src/interop/spring/json/jackson-node.js";
import { javaDoubleText } from "../../../src/interop/spring/json/jackson-writer.js";
import { javaHashMapOrder, javaStringHash } from "../../../src/interop/spring/json/java-hash-map.js";
import { refusal } from "../../support/fuzz.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "interop");
const corpus = readFileSync(path.join(fixtures, "spring-json", "corpus.txt"), "utf8")
  .split("\n")
  .filter((line) => line !== "" && !line.startsWith("#"));

const codec = jacksonCodec();
const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");
const line = (start: string) => {
  const found = corpus.find((text) => text.startsWith(start));
  if (found === undefined) throw new Error(`no corpus line starts with ${start}`);
  return found;
};
const read = (text: string) => codec.decode(Buffer.from(text));
const view = (text: string) => codec.toValue(read(text));
const written = (value: unknown) => utf8(codec.encode(codec.fromValue(value)));

describe("Spring JSON codec: what real Jackson wrote", () => {
  it("reads every corpus line and writes it back byte for byte", () => {
    expect(corpus.length).toBeGreaterThan(60);
    for (const text of corpus) {
      const node = read(text);
      expect(utf8(codec.encode(node))).toBe(text);
      // The writer itself (a copy has no kept bytes): Jackson's layout and escapes.
      expect(utf8(codec.encode(structuredClone(node)))).toBe(text);
    }
  });

  it("maps the JDK types", () => {
    expect(view('"hello"')).toBe("hello");
    expect(view(line('"unicode'))).toBe("unicode: é ß 中文 😀 \u2028 \u2029 \ufeff");
    expect(view("9223372036854775807")).toBe(9223372036854775807n);
    expect(view("1404360000000")).toBe(1404360000000);
    expect(view("1.0")).toBe(1);
    expect(Object.is(view("-0.0"), -0)).toBe(true);
    expect(view('["java.math.BigDecimal",1.50]')).toEqual(new ForeignDecimal("1.50"));
    expect(view('["java.math.BigInteger",123456789012345678901234567890]')).toBe(
      123456789012345678901234567890n,
    );
    expect(view('["java.util.Date",1404360000000]')).toEqual(new ForeignTime(1404360000000n * 1_000_000n));
    expect(view('["java.util.ArrayList",["a",1,true]]')).toEqual(["a", 1, true]);
    expect(view('["java.util.Collections$EmptyList",[]]')).toEqual([]);
    expect(view('["java.util.LinkedHashSet",["b","a","c"]]')).toEqual(new ForeignSet(["b", "a", "c"]));
    expect(view('["java.util.Collections$UnmodifiableSet",["ROLE_A"]]')).toEqual(
      new ForeignSet(["ROLE_A"], true),
    );
    // A byte[] at the top is a bare base64 string (Java reads it back as a String too); inside a map, typed.
    expect(view('"AQID/w=="')).toBe("AQID/w==");
    const map = view(line('{"@class":"java.util.HashMap","a"')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(map)).toBe(null);
    expect({ ...map }).toEqual({ a: 1 });
  });

  it("reads boxed scalars inside maps as numbers, and integer-like keys as a Map", () => {
    const value = view(line('{"@class":"java.util.LinkedHashMap","zeta"')) as Map<string, unknown>;
    expect(value).toBeInstanceOf(Map);
    expect([...value.keys()].slice(0, 4)).toEqual(["zeta", "alpha", "10", "__proto__"]);
    expect(value.get("long")).toBe(5);
    expect(value.get("float")).toBe(2.5);
    expect(value.get("bigint")).toBe(-98765432109876543210n);
    expect(value.get("bytes")).toEqual(new ForeignBytes(Uint8Array.of(0, 1)));
    expect(value.get("list")).toEqual([1, "two", [3]]);
    expect(value.get("set")).toEqual(new ForeignSet(["s"]));
  });

  it("keeps POJOs, Spring Security's classes and untyped JSON opaque", () => {
    const cart = view(line('{"@class":"com.example.Cart"')) as ForeignOpaque;
    expect(cart).toBeInstanceOf(ForeignOpaque);
    expect([cart.format, cart.className]).toEqual(["json", "com.example.Cart"]);
    const context = view(line('{"@class":"org.springframework.security.core.context.SecurityContextImpl"'));
    expect((context as ForeignOpaque).className).toBe(
      "org.springframework.security.core.context.SecurityContextImpl",
    );
    expect((view('{"a":1}') as ForeignOpaque).className).toBe("(JSON object)");
    expect((view("[1,2]") as ForeignOpaque).className).toBe("(JSON array)");
    expect((view('["com.example.Color","RED"]') as ForeignOpaque).className).toBe("com.example.Color");
  });

  it("writes an opaque value back exactly, also inside a new value", () => {
    const contextText = line('{"@class":"org.springframework.security.core.context.SecurityContextImpl"');
    const cartText = line('{"@class":"com.example.Cart"');
    const value = { context: view(contextText), carts: [view(cartText)] };
    expect(written(value)).toBe(
      `{"@class":"java.util.LinkedHashMap","context":${contextText},"carts":["java.util.ArrayList",[${cartText}]]}`,
    );
    expect(() => codec.fromValue(new ForeignOpaque("json", "java.lang.Runtime", "made up"))).toThrow(
      SessionError,
    );
  });

  it("names the principal of a security context as Spring's index resolver does", () => {
    const principal = (start: string) => codec.securityContextPrincipal(read(start));
    const contexts = corpus.filter((text) =>
      text.startsWith('{"@class":"org.springframework.security.core.context'),
    );
    expect(contexts.map((text) => principal(text))).toEqual(["alice", "bob", "carol", undefined]);
    expect(principal('"alice"')).toBeUndefined();
    expect(principal(line('{"@class":"com.example.Cart"'))).toBeUndefined();
    expect(
      principal(line('["java.util.ArrayList",[{"@class":"org.springframework.security')),
    ).toBeUndefined();
    const ctx = (authentication: string) =>
      `{"@class":"org.springframework.security.core.context.SecurityContextImpl","authentication":${authentication}}`;
    expect(principal(ctx('{"@class":"x.Token","principal":{"@class":"x.Principal","name":"dave"}}'))).toBe(
      "dave",
    );
    expect(principal(ctx('{"@class":"x.Token","principal":null}'))).toBe("");
    expect(principal(ctx('{"@class":"x.Token","principal":{"@class":"x.Opaque"}}'))).toBeUndefined();
    const oauth2 =
      '{"@class":"org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken","principal":{"@class":"org.springframework.security.oauth2.core.user.DefaultOAuth2User","authorities":["java.util.Collections$UnmodifiableSet",[]],"attributes":{"@class":"java.util.Collections$UnmodifiableMap","login":"octocat","id":1},"nameAttributeKey":"login"},"authorities":["java.util.Collections$UnmodifiableRandomAccessList",[]],"authorizedClientRegistrationId":"github"}';
    expect(principal(ctx(oauth2))).toBe("octocat");
  });

  it("reads the empty value Spring writes for null, and writes it back", () => {
    const node = codec.decode(new Uint8Array(0));
    expect(codec.toValue(node)).toBe(null);
    expect(codec.encode(node)).toEqual(new Uint8Array(0));
    expect(written(null)).toBe("null");
  });

  it("keeps the bytes of JSON that Jackson would have written otherwise", () => {
    for (const text of [
      ' {"@class" : "java.util.HashMap", "a":1 }',
      '"\\u00e9\\/"',
      '["java.util.ArrayList",["\\uD83D\\uDE00", "😀"]]',
    ]) {
      expect(utf8(codec.encode(read(text)))).toBe(text);
    }
    // A node taken out of one is written as Jackson would.
    expect(written(view('"\\u00e9\\/"'))).toBe('"é/"');
    expect(written(view('"😀"'))).toBe('"\\uD83D\\uDE00"');
  });
});

describe("Spring JSON codec: what Node writes", () => {
  it("writes the shapes Jackson reads back as the intended Java types", () => {
    const value = emptyObject();
    defineOwn(value, "__proto__", 1);
    Object.assign(value, {
      list: [1, "x", null, true],
      double: 1.5,
      big: 10_000_000_000.5,
      tiny: 0.0001,
      negativeZero: -0,
      long: 2 ** 40,
      bigint: 2n ** 70n,
      date: new Date(1404360000000),
      time: new ForeignTime(5_000_000n),
      set: new ForeignSet(["a"]),
      frozen: new ForeignSet([1], true),
      decimal: new ForeignDecimal("1.50"),
      bytes: new ForeignBytes(Uint8Array.of(1, 2, 3)),
      map: new Map([["k", "v"]]),
      text: 'é "q" \n \u0000 😀 \ud800',
    });
    expect(written(value)).toBe(
      '{"@class":"java.util.LinkedHashMap","__proto__":1,"list":["java.util.ArrayList",[1,"x",null,true]],' +
        '"double":1.5,"big":1.00000000005E10,"tiny":1.0E-4,"negativeZero":-0.0,"long":1099511627776,' +
        '"bigint":1180591620717411303424,"date":["java.util.Date",1404360000000],"time":["java.util.Date",5],' +
        '"set":["java.util.LinkedHashSet",["a"]],"frozen":["java.util.Collections$UnmodifiableSet",[1]],' +
        '"decimal":["java.math.BigDecimal",1.50],"bytes":["[B","AQID"],' +
        '"map":{"@class":"java.util.LinkedHashMap","k":"v"},' +
        '"text":"é \\"q\\" \\n \\u0000 \\uD83D\\uDE00 \\uD800"}',
    );
    expect(written("plain")).toBe('"plain"');
    expect(written(42)).toBe("42");
    expect(written([])).toBe('["java.util.ArrayList",[]]');
  });

  it("formats doubles as Java's Double.toString lays them out", () => {
    const cases: [number, string][] = [
      [1.5, "1.5"],
      [0.001, "0.001"],
      [1e7, "1.0E7"],
      [9999999.5, "9999999.5"],
      [1.0e-5, "1.0E-5"],
      [123456.789, "123456.789"],
      [-2.5e300, "-2.5E300"],
      // Java writes 1.15292150460684698E18; the shortest digits read back to the same double.
      [2 ** 60, "1.152921504606847E18"],
      [0.1 + 0.2, "0.30000000000000004"],
    ];
    for (const [value, text] of cases) expect(javaDoubleText(value)).toBe(text);
  });

  it("keeps what did not change in a value read and changed in place", () => {
    const text = line('{"@class":"java.util.LinkedHashMap","zeta"');
    const node = read(text);
    const value = codec.toValue(node) as Map<string, unknown>;
    expect(codec.fromValue(value)).toBe(node);
    value.set("added", 1);
    (value.get("list") as unknown[]).push("more");
    const again = written(value);
    expect(again).toContain('"long":["java.lang.Long",5],');
    expect(again).toContain('"float":["java.lang.Float",2.5],');
    expect(again).toContain('"decimal":["java.math.BigDecimal",0.10],');
    expect(again).toContain(
      '"list":["java.util.ArrayList",[["java.lang.Long",1],"two",["java.util.ArrayList",[3]],"more"]]',
    );
    expect(again.endsWith(',"added":1}')).toBe(true);
    const tree = codec.toValue(read('{"@class":"java.util.TreeMap","a":1.0}')) as Record<string, unknown>;
    tree.b = 2;
    expect(written(tree)).toBe('{"@class":"java.util.TreeMap","a":1.0,"b":2}');
    // An unmodifiable view changed by Node becomes a plain ArrayList.
    const fixed = codec.toValue(read('["java.util.Collections$SingletonList",["one"]]')) as unknown[];
    fixed.push("two");
    expect(written(fixed)).toBe('["java.util.ArrayList",["one","two"]]');
  });

  it("refuses a class name made of data, and values Java cannot hold", () => {
    const smuggled = emptyObject();
    defineOwn(smuggled, "@class", "java.lang.ProcessBuilder");
    for (const value of [
      smuggled,
      { nested: [{ "@class": "x" }] },
      new Map([["@class", "x"]]),
      new Map([[1, "x"]]),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Date(Number.NaN),
      new ForeignDecimal("NaN"),
      new RubySymbol("x"),
      () => 1,
      Symbol("x"),
      new (class Custom {})(),
    ]) {
      expect(refusal(() => codec.fromValue(value)).code).toBe(ErrorCodes.CODEC_FAILED);
    }
    const created = codec.fromValue({ a: 1 });
    expect(refusal(() => codec.map([["@class", created]])).code).toBe(ErrorCodes.CODEC_FAILED);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(refusal(() => codec.fromValue(cycle)).code).toBe(ErrorCodes.TOO_LARGE);
  });

  it("makes Longs, Integers and the created message's HashMap as Jackson writes them", () => {
    const creation = codec.long(1404360000000);
    expect(utf8(codec.encode(creation))).toBe("1404360000000");
    expect(utf8(codec.encode(codec.int(1800)))).toBe("1800");
    const body = codec.map([
      ["creationTime", creation],
      ["maxInactiveInterval", codec.int(1800)],
      ["lastAccessedTime", codec.long(1404360000000)],
    ]);
    expect(utf8(body)).toBe(line('{"@class":"java.util.HashMap","lastAccessedTime"'));
    const grown = codec.map(
      Array.from({ length: 14 }, (_, i) => [`sessionAttr:key${i}`, codec.int(i)] as const),
    );
    expect(utf8(grown)).toBe(line('{"@class":"java.util.HashMap","sessionAttr:'));
    expect(javaStringHash("a")).toBe(97);
    expect(javaStringHash("hello")).toBe(99_162_322);
    expect(
      javaHashMapOrder([
        ["b", 1],
        ["a", 2],
      ]).map(([key]) => key),
    ).toEqual(["a", "b"]);
    expect(() => codec.long(1.5)).toThrow(SessionError);
    expect(() => codec.int(2 ** 31)).toThrow(SessionError);
  });

  it("reads numbers and strings for the repository's metadata", () => {
    expect(codec.numberOf(read("1404360000000"))).toBe(1404360000000);
    expect(codec.numberOf(read('["java.lang.Long",5]'))).toBe(5);
    expect(codec.numberOf(read("1800"))).toBe(1800);
    expect(codec.numberOf(read('"5"'))).toBeUndefined();
    expect(codec.stringOf(read('"alice"'))).toBe("alice");
    expect(codec.stringOf(read("5"))).toBeUndefined();
  });
});

describe("Spring JSON codec: refusals", () => {
  it("refuses malformed JSON naming the byte offset", () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ["{", /at byte 1/],
      ['{"a":1,}', /key expected at byte 7/],
      ["[1 2]", /at byte 3/],
      ["01", /the number "01" at byte 0/],
      ["1.", /number/],
      ["-", /number/],
      ["+1", /at byte 0/],
      ["tru", /at byte 0/],
      ['"a\\x"', /invalid escape at byte 2/],
      ['"\\u12G4"', /\\u escape/],
      ['"a\nb"', /control character/],
      ['"abc', /unterminated/],
      ["NaN", /at byte 0/],
      ["   ", /the end of the data at byte 3/],
      ['{"a":1,"a":2}', /duplicate key "a" at byte 7/],
      [Uint8Array.of(0x22, 0xc3, 0x28, 0x22), /not valid UTF-8 at byte 1/],
      [Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22), /not valid UTF-8/],
      [Uint8Array.of(0xef, 0xbb, 0xbf, 0x31), /at byte 0/],
    ];
    for (const [input, message] of cases) {
      const error = refusal(() => codec.decode(typeof input === "string" ? Buffer.from(input) : input));
      expect(error.code).toBe(ErrorCodes.CODEC_FAILED);
      expect(error.message).toMatch(message);
    }
  });

  it("enforces the limits, and deep nesting never reaches the stack's end", () => {
    const small = jacksonCodec({ maxBytes: 10, maxDepth: 3, maxNodes: 5 });
    expect(refusal(() => small.decode(Buffer.from('"12345678901"'))).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => small.decode(Buffer.from("[[[[1]]]]"))).code).toBe(ErrorCodes.TOO_LARGE);
    expect(small.decode(Buffer.from("[[[1]]]"))).toBeDefined();
    expect(refusal(() => small.decode(Buffer.from("[1,2,3,4,5]"))).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => small.fromValue([[1]])).code).toBe(ErrorCodes.TOO_LARGE);
    const huge = jacksonCodec({ maxDepth: 1_000_000, maxBytes: 10_000_000 });
    const deep = Buffer.from(`${"[".repeat(200_000)}${"]".repeat(200_000)}`);
    expect(refusal(() => huge.decode(deep)).code).toBe(ErrorCodes.TOO_LARGE);
    let nested: unknown = 1;
    for (let i = 0; i < 100_000; i++) nested = [nested];
    expect(refusal(() => huge.fromValue(nested)).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => codec.decode(Buffer.from("1".repeat(1001)))).message).toMatch(/longer than 1000/);
  });

  it("never builds a node it did not read for a JSON value with no view", () => {
    const node: JacksonNode = read('{"@class":"com.example.Evil","cmd":"x"}');
    const opaque = codec.toValue(node) as ForeignOpaque;
    expect(codec.fromValue(opaque)).toBe(node);
    const copy = new ForeignOpaque(opaque.format, opaque.className, opaque.description);
    expect(() => codec.fromValue(copy)).toThrow(SessionError);
  });
});
