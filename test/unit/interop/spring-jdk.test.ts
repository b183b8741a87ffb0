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
  type ForeignValue,
} from "../../../src/interop/foreign-value.js";
import { javaArrayList, javaString } from "../../../src/interop/spring/jdk/jdk-classes.js";
import { jdkCodec } from "../../../src/interop/spring/jdk/jdk-codec.js";
import type { JdkNode } from "../../../src/interop/spring/jdk/jdk-node.js";
import { refusal } from "../../support/fuzz.js";
import { springJdkCorpus } from "./spring-jdk-corpus.js";

const codec = jdkCodec();
const corpus = springJdkCorpus();

function stream(label: string): Buffer {
  const bytes = corpus.get(label);
  if (bytes === undefined) throw new Error(`no corpus line ${label}`);
  return bytes;
}

function view(label: string): ForeignValue {
  return codec.toValue(codec.decode(stream(label)));
}

function object(entries: [string, ForeignValue][]): ForeignValue {
  const out = emptyObject();
  for (const [key, value] of entries) defineOwn(out, key, value);
  return out;
}

function written(value: unknown): Buffer {
  return Buffer.from(codec.encode(codec.fromValue(value)));
}

/** A stream from hex pieces (the header is added). */
function hex(...pieces: string[]): Buffer {
  return Buffer.from(`aced0005${pieces.join("")}`.replace(/\s+/g, ""), "hex");
}

function utf(text: string): string {
  return Buffer.from(text).length.toString(16).padStart(4, "0") + Buffer.from(text).toString("hex");
}

describe("Spring JDK codec: the real JDK's corpus", () => {
  it("reads every stream and writes it back byte for byte", () => {
    expect(corpus.size).toBeGreaterThan(80);
    for (const [label, bytes] of corpus) {
      const node = codec.decode(bytes);
      expect(Buffer.from(codec.encode(node)).equals(bytes), label).toBe(true);
      codec.toValue(node);
    }
  });

  it("maps strings, including NUL, supplementary characters, lone surrogates and TC_LONGSTRING", () => {
    expect(view("string")).toBe("hello");
    expect(view("string-empty")).toBe("");
    expect(view("string-nul")).toBe("a\0b");
    expect(view("string-unicode")).toBe("café € 😀");
    expect(view("string-lone-surrogate")).toBe("x\ud800y");
    expect(stream("string-long")[4]).toBe(0x7c);
    expect(view("string-long")).toBe("é".repeat(40000));
    for (const label of ["string-nul", "string-unicode", "string-lone-surrogate", "string-long"])
      expect(written(view(label)).equals(stream(label)), label).toBe(true);
  });

  it("maps the boxed numbers, BigInteger, BigDecimal and Character", () => {
    expect(view("integer")).toBe(42);
    expect(view("integer-min")).toBe(-(2 ** 31));
    expect(view("long")).toBe(1700000000123);
    expect(view("long-max")).toBe(2n ** 63n - 1n);
    expect(view("short")).toBe(-7);
    expect(view("byte")).toBe(5);
    expect(view("double")).toBe(3.25);
    expect(view("double-nan")).toBeNaN();
    expect(Object.is(view("double-neg-zero"), -0)).toBe(true);
    expect(view("float")).toBe(1.5);
    expect(view("boolean")).toBe(true);
    expect(view("character")).toBe("é");
    expect(view("biginteger")).toBe(2n ** 100n);
    expect(view("biginteger-negative")).toBe(-123456789012345678901234567890n);
    expect(view("biginteger-zero")).toBe(0n);
    expect(view("bigdecimal")).toEqual(new ForeignDecimal("1.10"));
    expect(view("bigdecimal-exponent")).toEqual(new ForeignDecimal("-1.5E-10"));
    expect(view("bigdecimal-big")).toEqual(new ForeignDecimal("12345678901234567890.123"));
    expect(view("bigdecimal-positive-exponent")).toEqual(new ForeignDecimal("1E+3"));
  });

  it("maps Date and Timestamp to ForeignTime", () => {
    expect(view("date")).toEqual(new ForeignTime(1700000000123n * 1_000_000n));
    expect(view("date-before-1970")).toEqual(new ForeignTime(-86400000n * 1_000_000n));
    expect(view("timestamp")).toEqual(new ForeignTime(1700000000123456789n));
  });

  it("maps byte[] to ForeignBytes and the other arrays to arrays", () => {
    expect(view("bytes")).toEqual(new ForeignBytes(Uint8Array.of(1, 2, 3, 255)));
    expect(view("bytes-empty")).toEqual(new ForeignBytes(new Uint8Array(0)));
    expect(view("ints")).toEqual([1, -2, 3]);
    expect(view("longs")).toEqual([-(2n ** 63n), 0]);
    expect(view("doubles")).toEqual([0.5, -1]);
    expect(view("floats")).toEqual([0.5]);
    expect(view("shorts")).toEqual([1, 2]);
    expect(view("chars")).toEqual(["a", "é"]);
    expect(view("booleans")).toEqual([true, false]);
    expect(view("strings")).toEqual(["a", null, "b"]);
    expect(view("objects")).toEqual([1, "x", null, 2]);
    expect(view("nested-array")).toEqual([[1], [2, 3]]);
  });

  it("maps the JDK's lists", () => {
    expect(view("arraylist")).toEqual(["a", 1, 2, null, true]);
    expect(view("arraylist-empty")).toEqual([]);
    expect(view("linkedlist")).toEqual(["x", "y"]);
    expect(view("arrays-aslist")).toEqual(["p", "q"]);
    expect(view("unmodifiable-list")).toEqual([1, 2]);
    expect(view("unmodifiable-linkedlist")).toEqual([1, 2]);
    expect(view("singleton-list")).toEqual(["only"]);
    expect(view("empty-list")).toEqual([]);
    expect(view("list-of")).toEqual([1, 2, 3]);
  });

  it("maps the JDK's maps: string keys to null-prototype objects, others to Maps", () => {
    const hashmap = view("hashmap");
    expect(Object.getPrototypeOf(hashmap)).toBeNull();
    expect(hashmap).toEqual(
      object([
        ["a", 1],
        ["b", "x"],
        ["c", null],
      ]),
    );
    expect(view("hashmap-empty")).toEqual(emptyObject());
    expect(view("hashmap-integer-keys")).toEqual(
      new Map<ForeignValue, ForeignValue>([
        [1, "one"],
        [2, "two"],
      ]),
    );
    expect(view("hashmap-numeric-string-keys")).toEqual(
      new Map([
        ["b", 1],
        ["1", 2],
      ]),
    );
    const linked = view("linkedhashmap") as Record<string, ForeignValue>;
    expect(Object.keys(linked)).toEqual(["z", "y", "__proto__"]);
    expect(Object.getOwnPropertyDescriptor(linked, "__proto__")?.value).toBe(3);
    expect(view("treemap")).toEqual(
      object([
        ["a", 1],
        ["b", 2],
      ]),
    );
    expect(view("hashtable")).toEqual(object([["k", "v"]]));
    expect(view("unmodifiable-map")).toEqual(object([["k", 1]]));
    expect(view("map-of")).toEqual(object([["k", 1]]));
  });

  it("maps the JDK's sets to ForeignSet", () => {
    expect(view("hashset")).toEqual(new ForeignSet(["a", "b"]));
    expect(view("linkedhashset")).toEqual(new ForeignSet([3, 1, 2]));
    expect(view("linkedhashset-empty")).toEqual(new ForeignSet([]));
    expect(view("treeset")).toEqual(new ForeignSet(["a", "b"]));
    expect(view("unmodifiable-set")).toEqual(new ForeignSet(["s"]));
    expect(view("set-of")).toEqual(new ForeignSet(["only"]));
  });

  it("keeps enums, classes, custom classes, Externalizables and proxies opaque", () => {
    const green = view("enum") as ForeignOpaque;
    expect(green).toBeInstanceOf(ForeignOpaque);
    expect(green.format).toBe("java");
    expect(green.className).toBe("sessionkit.fixtures.Samples$Color");
    expect(green.description).toContain("Samples$Color.GREEN");
    const enums = view("enums") as ForeignOpaque[];
    expect(enums.map((value) => value.description.split(".").at(-1))).toEqual(["RED", "BLUE", "RED"]);
    expect((view("class") as ForeignOpaque).description).toContain("java.lang.String");
    for (const [label, className] of [
      ["custom-writeobject", "sessionkit.fixtures.Samples$Point"],
      ["externalizable", "sessionkit.fixtures.Samples$Ext"],
      ["named-principal", "sessionkit.fixtures.Samples$NamedPrincipal"],
      ["security-context-user", "org.springframework.security.core.context.SecurityContextImpl"],
    ] as const) {
      const value = view(label) as ForeignOpaque;
      expect(value).toBeInstanceOf(ForeignOpaque);
      expect(value.className).toBe(className);
    }
    expect((view("proxy") as ForeignOpaque).className).toContain("Greeter");
  });

  it("maps nested values, shared references and cycles", () => {
    expect(view("nested")).toEqual(
      object([
        [
          "inner",
          object([
            ["n", 1],
            ["list", ["deep", object([["x", 2.5]])]],
          ]),
        ],
        ["when", new ForeignTime(0n)],
      ]),
    );
    expect(view("shared-reference")).toEqual([["s"], ["s"]]);
    const shared = codec.decode(stream("shared-reference")) as JdkNode & {
      classData: { annotation: unknown[] }[];
    };
    const [, first, second] = shared.classData[0]?.annotation ?? [];
    expect(first).toBe(second);
    expect(view("shared-string")).toEqual(["twice", "twice", "twice"]);
    const cyclic = view("cyclic-list") as ForeignValue[];
    expect(cyclic[0]).toBe("self");
    expect(cyclic[1]).toBeInstanceOf(ForeignOpaque);
    expect(written(cyclic).equals(stream("cyclic-list"))).toBe(true);
  });

  it("reads the principal name of Spring Security contexts", () => {
    expect(codec.securityContextPrincipal(codec.decode(stream("security-context-user")))).toBe("alice");
    expect(codec.securityContextPrincipal(codec.decode(stream("security-context-string-principal")))).toBe(
      "bob",
    );
    expect(codec.securityContextPrincipal(codec.decode(stream("security-context-named-principal")))).toBe(
      "carol",
    );
    expect(codec.securityContextPrincipal(codec.decode(stream("security-context-empty")))).toBeUndefined();
    expect(codec.securityContextPrincipal(codec.decode(stream("string")))).toBeUndefined();
    expect(codec.securityContextPrincipal(codec.decode(stream("hashmap")))).toBeUndefined();
    expect(codec.securityContextPrincipal(codec.decode(stream("named-principal")))).toBeUndefined();
  });
});

describe("Spring JDK codec: what Node writes is what the JDK writes", () => {
  it("writes the boxed types, String, Date, byte[], BigInteger and BigDecimal as the JDK does", () => {
    const same: [unknown, string][] = [
      ["hello", "string"],
      ["", "string-empty"],
      [42, "integer"],
      [-(2 ** 31), "integer-min"],
      [1700000000123, "long"],
      [2n ** 63n - 1n, "long-max"],
      [3.25, "double"],
      [Number.NaN, "double-nan"],
      [-0, "double-neg-zero"],
      [true, "boolean"],
      [2n ** 100n, "biginteger"],
      [-123456789012345678901234567890n, "biginteger-negative"],
      [new ForeignDecimal("1.10"), "bigdecimal"],
      [new ForeignDecimal("-1.5E-10"), "bigdecimal-exponent"],
      [new ForeignDecimal("12345678901234567890.123"), "bigdecimal-big"],
      [new ForeignDecimal("1E+3"), "bigdecimal-positive-exponent"],
      [new Date(1700000000123), "date"],
      [new ForeignTime(-86400000n * 1_000_000n), "date-before-1970"],
      [new ForeignBytes(Uint8Array.of(1, 2, 3, 255)), "bytes"],
      [new ForeignBytes(new Uint8Array(0)), "bytes-empty"],
    ];
    for (const [value, label] of same)
      expect(written(value).toString("hex"), label).toBe(stream(label).toString("hex"));
  });

  it("writes arrays as ArrayList, objects as LinkedHashMap and sets as LinkedHashSet, as the JDK does", () => {
    expect(written(["a", 1, 2n, null, true]).equals(stream("arraylist"))).toBe(true);
    expect(written([]).equals(stream("arraylist-empty"))).toBe(true);
    expect(
      written(
        object([
          ["z", 1],
          ["y", 2],
          ["__proto__", 3],
        ]),
      ).equals(stream("linkedhashmap")),
    ).toBe(true);
    expect(written({}).equals(stream("linkedhashmap-empty"))).toBe(true);
    expect(
      written(
        new Map([
          ["b", 1],
          ["1", 2],
        ]),
      ).equals(stream("hashmap-numeric-string-keys")),
    ).toBe(true);
    expect(written(new ForeignSet([3, 1, 2])).equals(stream("linkedhashset"))).toBe(true);
    expect(written(new ForeignSet([])).equals(stream("linkedhashset-empty"))).toBe(true);
  });

  it("writes Spring's metadata and its created message as Spring does", () => {
    expect(Buffer.from(codec.encode(codec.long(1700000000123))).equals(stream("spring-creation-time"))).toBe(
      true,
    );
    expect(Buffer.from(codec.encode(codec.int(1800))).equals(stream("spring-max-inactive-interval"))).toBe(
      true,
    );
    const message = codec.map([
      ["creationTime", codec.long(1700000000123)],
      ["maxInactiveInterval", codec.int(1800)],
      ["lastAccessedTime", codec.long(1700000000123)],
    ]);
    expect(Buffer.from(message).toString("hex")).toBe(stream("spring-created-message").toString("hex"));
    expect(codec.numberOf(codec.decode(stream("spring-creation-time")))).toBe(1700000000123);
    expect(codec.numberOf(codec.decode(stream("spring-max-inactive-interval")))).toBe(1800);
    expect(codec.numberOf(codec.decode(stream("short")))).toBeUndefined();
    expect(codec.numberOf(codec.decode(stream("string")))).toBeUndefined();
    expect(codec.numberOf(codec.decode(stream("long-max")))).toBeUndefined();
    expect(codec.stringOf(codec.decode(stream("string")))).toBe("hello");
    expect(codec.stringOf(codec.decode(stream("integer")))).toBeUndefined();
    expect(() => codec.int(2 ** 31)).toThrow(SessionError);
    expect(() => codec.long(0.5)).toThrow(SessionError);
  });

  it("writes an unchanged view back as read, keeping its exact classes", () => {
    for (const label of [
      "hashmap",
      "treemap",
      "hashtable",
      "unmodifiable-list",
      "list-of",
      "nested",
      "treeset",
      "timestamp",
      "shorts",
      "security-context-user",
    ])
      expect(written(view(label)).equals(stream(label)), label).toBe(true);
  });

  it("writes a changed view with Node's types, keeping the nodes read inside it", () => {
    const list = view("opaque-in-list") as ForeignValue[];
    list.push("added");
    const again = codec.toValue(codec.decode(written(list))) as ForeignValue[];
    expect(again[0]).toBeInstanceOf(ForeignOpaque);
    expect((again[0] as ForeignOpaque).className).toBe("sessionkit.fixtures.Samples$Point");
    expect(again.slice(1)).toEqual(["after", "added"]);
    // The opaque value moved into a new stream, its handles renumbered, and reads back the same.
    const moved = written(
      object([
        ["first", "x"],
        ["context", view("security-context-user")],
        ["p", again[0] as ForeignValue],
      ]),
    );
    // The whole map is not a security context; the context in it still is, and still names alice.
    expect(codec.securityContextPrincipal(codec.decode(moved))).toBeUndefined();
    const context = (codec.toValue(codec.decode(moved)) as Record<string, ForeignValue>).context;
    expect(codec.securityContextPrincipal(codec.fromValue(context))).toBe("alice");
    const map = view("hashmap") as Record<string, ForeignValue>;
    map.d = 4;
    expect(codec.toValue(codec.decode(written(map)))).toEqual(
      object([
        ["a", 1],
        ["b", "x"],
        ["c", null],
        ["d", 4],
      ]),
    );
  });
});

describe("Spring JDK codec: refusals", () => {
  it("refuses what is not one well-formed stream, naming the byte", () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from("00000005740000", "hex"), /magic\) at byte 0/],
      [Buffer.from("aced0004740000", "hex"), /version other than 5 at byte 2/],
      [hex("740000", "70"), /data after the value at byte 7/],
      [hex("60"), /unknown tag 0x60 at byte 4/],
      [hex("7b"), /TC_EXCEPTION .* at byte 4/],
      [hex("79"), /TC_RESET at byte 4/],
      [hex("78"), /TC_ENDBLOCKDATA/],
      [hex("770100"), /block data where an object/],
      [hex("71007e0000"), /handle that does not exist at byte 4/],
      [hex(""), /end of the data/],
      [hex("7400"), /end of the data/],
      [hex("740005616263"), /end of the data/],
      [hex("7400028080"), /not modified UTF-8/],
      // Externalizable in protocol 1 (no SC_BLOCK_DATA).
      [hex("7372", utf("A"), "0000000000000001", "04", "0000", "78", "70"), /protocol 1/],
      [
        hex("7372", utf("A"), "0000000000000001", "06", "0000", "78", "70"),
        /both Serializable and Externalizable/,
      ],
      [hex("7372", utf("A"), "0000000000000001", "42", "0000", "78", "70"), /unknown class descriptor flags/],
      // A class descriptor whose superclass is itself (a handle still being read).
      [hex("7372", utf("A"), "0000000000000001", "02", "0000", "78", "71007e0000"), /still being read/],
      // A field type that is a reference to the class descriptor (not a string, and still being read).
      [
        hex("7372", utf("A"), "0000000000000001", "02", "0001", "4c", utf("f"), "71007e0000"),
        /still being read/,
      ],
      // A field type that is a reference to an array (complete, but not a string).
      [
        hex(
          "7572",
          utf("[Ljava.lang.Object;"),
          "0000000000000000",
          "02",
          "0000",
          "78",
          "70",
          "00000001",
          "7372",
          utf("B"),
          "0000000000000001",
          "02",
          "0001",
          "4c",
          utf("f"),
          "71007e0001",
        ),
        /a reference to a array where a string is expected at byte 64/,
      ],
      // A superclass that is a reference to a string.
      [
        hex(
          "7372",
          utf("A"),
          "0000000000000001",
          "02",
          "0001",
          "4c",
          utf("f"),
          "74",
          utf("LA;"),
          "78",
          "71007e0001",
        ),
        /where a class descriptor is expected/,
      ],
      [
        hex(
          "7372",
          utf("A"),
          "0000000000000001",
          "02",
          "0002",
          "4c",
          utf("f"),
          "74",
          utf("LA;"),
          "49",
          utf("i"),
        ),
        /primitive field after an object field/,
      ],
      [
        hex("7372", utf("A"), "0000000000000001", "02", "0001", "4c", utf("f"), "74", utf("I"), "78", "70"),
        /does not match its type code/,
      ],
      [hex("7372", utf("A"), "0000000000000001", "02", "0001", "51", utf("f")), /unknown field type code/],
      // Lengths past the end: refused before anything is allocated.
      [
        hex("7572", utf("[B"), "acf317f8060854e0", "02", "0000", "78", "70", "7fffffff"),
        /array length past the end/,
      ],
      [
        hex("7572", utf("[Ljava.lang.Object;"), "0000000000000000", "02", "0000", "78", "70", "7fffffff"),
        /array length past the end/,
      ],
      [hex("7c", "4000000000000000"), /string length past the end/],
      [hex("7d", "7fffffff"), /interface count past the end/],
      [hex("7372", utf("A"), "0000000000000001", "02", "ffff"), /field count past the end/],
      [
        hex("7372", utf("A"), "0000000000000001", "03", "0000", "78", "70", "7affffffff"),
        /negative block data length/,
      ],
      [hex("7e72", utf("A"), "0000000000000001", "02", "0000", "78", "70"), /not an enum/],
      [hex("7572", utf("A"), "0000000000000001", "02", "0000", "78", "70", "00000000"), /not an array/],
    ];
    for (const [bytes, message] of cases) {
      const error = refusal(() => codec.decode(bytes));
      expect(error.code, bytes.toString("hex")).toBe(ErrorCodes.CODEC_FAILED);
      expect(error.message, bytes.toString("hex")).toMatch(message);
    }
  });

  it("refuses every truncation of every corpus stream", () => {
    for (const [label, bytes] of corpus)
      for (const cut of new Set([0, 1, 4, 5, Math.floor(bytes.length / 2), bytes.length - 1]))
        expect(refusal(() => codec.decode(bytes.subarray(0, cut))).code, `${label} cut at ${cut}`).toBe(
          ErrorCodes.CODEC_FAILED,
        );
  });

  it("holds reads and writes to the limits", () => {
    const small = jdkCodec({ maxBytes: 100, maxDepth: 4, maxNodes: 10 });
    expect(refusal(() => small.decode(stream("string-long"))).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => small.decode(stream("nested"))).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => jdkCodec({ maxNodes: 5 }).decode(stream("arraylist"))).code).toBe(
      ErrorCodes.TOO_LARGE,
    );
    let deep: unknown = "bottom";
    for (let i = 0; i < 10; i++) deep = [deep];
    expect(refusal(() => small.fromValue(deep)).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => small.encode(codec.fromValue(deep))).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => small.encode(codec.fromValue("x".repeat(200)))).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => jdkCodec({ maxNodes: 5 }).encode(codec.fromValue([1, 2, 3, 4, 5]))).code).toBe(
      ErrorCodes.TOO_LARGE,
    );
    // What the writer accepts, the reader under the same limits reads: the same depth, either way.
    const edge = jdkCodec({ maxDepth: 6 });
    let nested: unknown = 1;
    for (let i = 0; i < 6; i++) nested = [nested];
    expect(edge.toValue(edge.decode(edge.encode(edge.fromValue(nested))))).toEqual(nested);
    expect(refusal(() => edge.fromValue([nested])).code).toBe(ErrorCodes.TOO_LARGE);
    expect(refusal(() => edge.decode(codec.encode(codec.fromValue([nested])))).code).toBe(
      ErrorCodes.TOO_LARGE,
    );
  });

  it("never makes a class out of data", () => {
    expect(
      refusal(() => codec.fromValue(new ForeignOpaque("java", "java.lang.Runtime", "x"))).message,
    ).toMatch(/not read from a Java session/);
    // An opaque read by another format is not a Java one either.
    expect(refusal(() => codec.fromValue([new ForeignOpaque("php", "Foo", "x")])).code).toBe(
      ErrorCodes.CODEC_FAILED,
    );
    expect(refusal(() => codec.fromValue(Symbol("s"))).code).toBe(ErrorCodes.CODEC_FAILED);
    expect(refusal(() => codec.fromValue(() => 1)).code).toBe(ErrorCodes.CODEC_FAILED);
    expect(refusal(() => codec.fromValue(new (class Custom {})())).code).toBe(ErrorCodes.CODEC_FAILED);
    expect(refusal(() => codec.fromValue(new ForeignDecimal("NaN"))).code).toBe(ErrorCodes.CODEC_FAILED);
    expect(refusal(() => codec.fromValue(new Date(Number.NaN))).code).toBe(ErrorCodes.CODEC_FAILED);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(refusal(() => codec.fromValue(cyclic)).code).toBe(ErrorCodes.CODEC_FAILED);
  });
});

describe("Spring JDK codec: values shared by reference", () => {
  it("refuses, quickly, a view that references would make exponentially large", () => {
    // 40 lists, each holding the one below twice: a few hundred bytes, 2^40 values once viewed.
    let list: JdkNode = javaArrayList([javaString("bottom")]);
    for (let i = 0; i < 40; i++) list = javaArrayList([list, list]);
    const bytes = codec.encode(list);
    expect(bytes.length).toBeLessThan(1000);
    const started = performance.now();
    expect(refusal(() => codec.toValue(codec.decode(bytes))).code).toBe(ErrorCodes.TOO_LARGE);
    expect(performance.now() - started).toBeLessThan(5000);
    // Shared a few times, it reads as the same value at each place.
    expect(view("shared-reference")).toEqual([["s"], ["s"]]);
  });
});
