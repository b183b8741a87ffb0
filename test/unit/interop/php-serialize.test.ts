import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SessionCodecError, SessionError } from "../../../src/common/errors.js";
import { ForeignBytes, ForeignOpaque } from "../../../src/interop/foreign-value.js";
import { DEFAULT_PHP_LIMITS } from "../../../src/interop/php/php-node.js";
import { readPhp } from "../../../src/interop/php/php-reader.js";
import { decodePhpSession, encodePhpSession } from "../../../src/interop/php/php-session.js";
import { phpToValue, valueToPhp } from "../../../src/interop/php/php-view.js";
import { PhpWriter, phpFloat } from "../../../src/interop/php/php-writer.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "interop");
/** What PHP 8.2's serialize() writes (make-php-corpus.php). */
const corpus = readFileSync(path.join(fixtures, "php-corpus.txt"), "utf8")
  .trim()
  .split("\n")
  .map((line) => Buffer.from(line, "base64"));

const bytes = (text: string) => Buffer.from(text, "latin1");
const read = (text: string) => phpToValue(readPhp(bytes(text), DEFAULT_PHP_LIMITS));
function write(value: unknown): string {
  const writer = new PhpWriter();
  writer.value(valueToPhp(value));
  return Buffer.from(writer.bytes()).toString("latin1");
}
function rewrite(data: Uint8Array): Buffer {
  const writer = new PhpWriter();
  writer.value(readPhp(data, DEFAULT_PHP_LIMITS));
  return Buffer.from(writer.bytes());
}

describe("PHP serialize codec", () => {
  it("writes back every value PHP wrote byte for byte", () => {
    expect(corpus.length).toBeGreaterThan(40);
    for (const data of corpus) expect(rewrite(data).toString("latin1")).toBe(data.toString("latin1"));
  });

  it("reads scalars as PHP means them", () => {
    expect(read("N;")).toBe(null);
    expect(read("b:1;")).toBe(true);
    expect(read("i:42;")).toBe(42);
    expect(read("i:9007199254740993;")).toBe(9007199254740993n);
    expect(read("i:-9223372036854775808;")).toBe(-(2n ** 63n));
    expect(read("d:1.5;")).toBe(1.5);
    expect(Object.is(read("d:-0;"), -0)).toBe(true);
    expect(read("d:INF;")).toBe(Number.POSITIVE_INFINITY);
    expect(read("d:NAN;")).toBeNaN();
    expect(read("d:1.0E+25;")).toBe(1e25);
    expect(read('s:4:"Zo\xc3\xab";')).toBe("Zoë");
    const binary = read('s:2:"\xff\x00";');
    expect(binary).toBeInstanceOf(ForeignBytes);
    expect([...(binary as ForeignBytes).bytes]).toEqual([0xff, 0]);
  });

  it("counts string lengths in bytes, and a string may hold quotes, semicolons and braces", () => {
    expect(read('s:7:"a";b}"c";')).toBe('a";b}"c');
    expect(write("Zoë")).toBe('s:4:"Zo\xc3\xab";');
    expect(() => read('s:5:"Zoë";')).toThrow(SessionCodecError);
  });

  it("writes floats as PHP does with serialize_precision -1", () => {
    const cases: [number, string][] = [
      [1e14, "100000000000000"],
      [1e16, "10000000000000000"],
      [1e17, "1.0E+17"],
      [1.2345678901234568e17, "1.2345678901234568E+17"],
      [0.1, "0.1"],
      [1e-4, "0.0001"],
      [1e-5, "1.0E-5"],
      [0.00012, "0.00012"],
      [-0, "-0"],
      [1.5e300, "1.5E+300"],
      [2 ** 63, "9.223372036854776E+18"],
      [1 / 3, "0.3333333333333333"],
      [100, "100"],
      [5e-324, "5.0E-324"],
      [Number.NaN, "NAN"],
      [Number.NEGATIVE_INFINITY, "-INF"],
    ];
    for (const [value, text] of cases) expect(phpFloat(value), String(value)).toBe(text);
    expect(write(-0)).toBe("d:-0;");
    expect(write(1.5)).toBe("d:1.5;");
    expect(write(42)).toBe("i:42;");
    expect(write(2 ** 60)).toBe("d:1.152921504606847E+18;");
    expect(write(2n ** 60n)).toBe("i:1152921504606846976;");
    expect(() => write(2n ** 63n)).toThrow(SessionCodecError);
  });

  it("reads lists as arrays and other arrays as objects or Maps", () => {
    expect(read('a:2:{i:0;s:1:"a";i:1;s:1:"b";}')).toEqual(["a", "b"]);
    expect(read("a:0:{}")).toEqual([]);
    const map = read('a:2:{i:1;s:1:"a";i:0;s:1:"b";}') as Map<unknown, unknown>;
    expect([...map]).toEqual([
      [1, "a"],
      [0, "b"],
    ]);
    const object = read('a:2:{s:9:"__proto__";i:1;s:11:"constructor";i:2;}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(object)).toBe(null);
    expect(Object.keys(object)).toEqual(["__proto__", "constructor"]);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(write(object)).toBe('a:2:{s:9:"__proto__";i:1;s:11:"constructor";i:2;}');
    // PHP makes an int key of a decimal string key, so sessionkit writes it as one.
    expect(write({ 5: "x", a: 1 })).toBe('a:2:{i:5;s:1:"x";s:1:"a";i:1;}');
    expect(
      write(
        new Map<unknown, unknown>([
          [-1n, 1],
          ["b", 2],
        ]),
      ),
    ).toBe('a:2:{i:-1;i:1;s:1:"b";i:2;}');
  });

  it("keeps references: numbered as PHP numbers them, renumbered when attributes change", () => {
    // $a = [1, 2]; $_SESSION = ["a" => &$a, "b" => &$a]
    const session = bytes("a|a:2:{i:0;i:1;i:1;i:2;}b|R:1;c|a:1:{i:0;R:1;}");
    const attributes = decodePhpSession(session, "php", DEFAULT_PHP_LIMITS);
    expect(phpToValue(attributes.get("b") as never)).toEqual([1, 2]);
    expect(Buffer.from(encodePhpSession(attributes, "php")).equals(session)).toBe(true);
    // php_serialize numbers the outer array 1, so the same session names a as 2.
    const asArray = encodePhpSession(attributes, "php_serialize");
    expect(Buffer.from(asArray).toString("latin1")).toBe(
      'a:3:{s:1:"a";a:2:{i:0;i:1;i:1;i:2;}s:1:"b";R:2;s:1:"c";a:1:{i:0;R:2;}}',
    );
    // A value added in front shifts the numbers; removing the target writes a copy in its place.
    const added = new Map([["z", valueToPhp([7])], ...attributes]);
    expect(Buffer.from(encodePhpSession(added, "php")).toString("latin1")).toBe(
      "z|a:1:{i:0;i:7;}a|a:2:{i:0;i:1;i:1;i:2;}b|R:3;c|a:1:{i:0;R:3;}",
    );
    attributes.delete("a");
    expect(Buffer.from(encodePhpSession(attributes, "php")).toString("latin1")).toBe(
      "b|a:2:{i:0;i:1;i:1;i:2;}c|a:1:{i:0;R:1;}",
    );
  });

  it("refuses references to nothing, r: to a non-object, and references after a C: payload", () => {
    for (const text of ["a:1:{i:0;R:5;}", "R:1;", "a:1:{i:0;r:1;}", 'a:2:{i:0;C:1:"X":0:{}i:1;r:2;}'])
      expect(() => readPhp(bytes(text), DEFAULT_PHP_LIMITS), text).toThrow(SessionCodecError);
  });

  it("a recursive reference reads as opaque and is written back as read", () => {
    const data = bytes("a:1:{i:0;a:1:{i:0;R:2;}}");
    const value = read("a:1:{i:0;a:1:{i:0;R:2;}}") as unknown[][];
    expect(value[0]?.[0]).toBeInstanceOf(ForeignOpaque);
    expect(rewrite(data).equals(data)).toBe(true);
  });

  it("keeps objects, Serializable objects and enums inert and writes them back as read", () => {
    const text =
      'a:3:{i:0;O:5:"Point":2:{s:1:"x";i:1;s:4:"\0*\0y";i:2;}i:1;C:6:"Legacy":8:{raw|data}i:2;E:11:"Suit:Hearts";}';
    const [point, legacy, suit] = read(text) as ForeignOpaque[];
    expect(point).toBeInstanceOf(ForeignOpaque);
    expect(point?.className).toBe("Point");
    expect(legacy?.className).toBe("Legacy");
    expect(suit?.className).toBe("Suit");
    // Moved elsewhere by Node: still the bytes PHP wrote.
    expect(write({ moved: point })).toBe('a:1:{s:5:"moved";O:5:"Point":2:{s:1:"x";i:1;s:4:"\0*\0y";i:2;}}');
    expect(() => write(new ForeignOpaque("php", "Point", "made up"))).toThrow(SessionCodecError);
    expect(() => phpToValue(readPhp(bytes(text), DEFAULT_PHP_LIMITS), "refuse")).toThrow(SessionCodecError);
  });

  it("refuses what PHP could not load back", () => {
    expect(() => write(new Date())).toThrow(SessionCodecError);
    expect(() => write("\ud800")).toThrow(SessionCodecError);
    expect(() => write(Symbol("x"))).toThrow(SessionError);
    expect(() => encodePhpSession(new Map([["a|b", valueToPhp(1)]]), "php")).toThrow(/cannot contain "\|"/);
    expect(() => read("i:9223372036854775808;")).toThrow(SessionCodecError);
  });

  it("frames the php and php_serialize handlers as PHP does", () => {
    const php = bytes(
      'user_id|i:42;name|s:4:"Zo\xc3\xab";roles|a:2:{i:0;s:5:"admin";i:1;s:3:"dev";}ok|b:1;f|d:1.5;n|N;',
    );
    const attributes = decodePhpSession(php, "php", DEFAULT_PHP_LIMITS);
    expect([...attributes.keys()]).toEqual(["user_id", "name", "roles", "ok", "f", "n"]);
    expect(phpToValue(attributes.get("roles") as never)).toEqual(["admin", "dev"]);
    expect(Buffer.from(encodePhpSession(attributes, "php")).equals(php)).toBe(true);
    const serialized = encodePhpSession(attributes, "php_serialize");
    expect(Buffer.from(serialized).toString("latin1")).toBe(
      'a:6:{s:7:"user_id";i:42;s:4:"name";s:4:"Zo\xc3\xab";s:5:"roles";a:2:{i:0;s:5:"admin";i:1;s:3:"dev";}s:2:"ok";b:1;s:1:"f";d:1.5;s:1:"n";N;}',
    );
    expect(decodePhpSession(serialized, "php_serialize", DEFAULT_PHP_LIMITS).size).toBe(6);
    expect(decodePhpSession(new Uint8Array(0), "php", DEFAULT_PHP_LIMITS).size).toBe(0);
    expect(() => decodePhpSession(bytes("a|i:1;junk"), "php", DEFAULT_PHP_LIMITS)).toThrow(SessionCodecError);
    expect(() => decodePhpSession(bytes("i:1;"), "php_serialize", DEFAULT_PHP_LIMITS)).toThrow(
      SessionCodecError,
    );
  });

  it("enforces size, depth and count limits before allocating", () => {
    const limits = { maxBytes: 100, maxDepth: 3, maxNodes: 10 };
    expect(() => readPhp(bytes(`s:200:"${"x".repeat(200)}";`), limits)).toThrow(/bytes/);
    expect(() => readPhp(bytes("a:1:{i:0;a:1:{i:0;a:1:{i:0;a:0:{}}}}"), limits)).toThrow(/deeper/);
    expect(() => readPhp(bytes(`a:11:{${"i:0;N;".repeat(11)}}`), limits)).toThrow(/values/);
    // A count or length past the end is refused without allocating it.
    expect(() => readPhp(bytes("a:999999999:{}"), DEFAULT_PHP_LIMITS)).toThrow(SessionCodecError);
    expect(() => readPhp(bytes('s:999999999:"x";'), DEFAULT_PHP_LIMITS)).toThrow(SessionCodecError);
  });
});
