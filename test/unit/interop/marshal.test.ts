import { describe, expect, it } from "vitest";
import { ErrorCodes, SessionError } from "../../../src/common/errors.js";
import { ForeignOpaque, ForeignTime, RubySymbol } from "../../../src/interop/foreign-value.js";
import { readMarshal } from "../../../src/interop/marshal/marshal-reader.js";
import { marshalToValue, valueToMarshal } from "../../../src/interop/marshal/marshal-view.js";
import { writeMarshal } from "../../../src/interop/marshal/marshal-writer.js";
import { prototypeSnapshot } from "../../support/fuzz.js";
import { corpus } from "./corpus.js";

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ""), "hex");

describe("Ruby Marshal codec", () => {
  it("writes back every stream of the Ruby corpus byte for byte, and maps each to a value", () => {
    const before = prototypeSnapshot();
    for (const bytes of corpus("marshal-corpus.txt")) {
      const node = readMarshal(bytes);
      expect(Buffer.from(writeMarshal(node)).equals(bytes)).toBe(true);
      const value = marshalToValue(node);
      // A value read can always be written again (opaque parts as they were read).
      expect(() => writeMarshal(valueToMarshal(value))).not.toThrow();
    }
    expect(prototypeSnapshot()).toBe(before);
  });

  it("reads the reference bytes of the anchors document", () => {
    // {"user_id"=>42,"name"=>"Zoë"} as Rails 7.1 puts it after its cache header.
    const node = readMarshal(
      hex(
        "0408 7b07 4922 0c 757365725f6964 06 3a 06 45 54 69 2f 4922 09 6e616d65 06 3b00 54 4922 09 5a6fc3ab 06 3b00 54",
      ),
    );
    expect(marshalToValue(node)).toEqual({ user_id: 42, name: "Zoë" });
  });

  it("keeps __proto__ and constructor as plain keys", () => {
    const before = prototypeSnapshot();
    const stream = corpus("marshal-corpus.txt").find((bytes) => bytes.includes("__proto__")) as Buffer;
    const value = marshalToValue(readMarshal(stream)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(null);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(prototypeSnapshot()).toBe(before);
  });

  it("refuses what is over the limits before building it", () => {
    const deep = Buffer.concat([
      hex("0408"),
      Buffer.alloc(100, 0x5b).map((_, i) => (i % 2 ? 6 : 0x5b)),
      hex("30"),
    ]);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as SessionError).code;
      }
      return "none";
    };
    expect(code(() => readMarshal(deep, { maxDepth: 10 }))).toBe(ErrorCodes.TOO_LARGE);
    expect(code(() => readMarshal(hex("0408 5b 7f 30"), { maxNodes: 10 }))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readMarshal(Buffer.alloc(100), { maxBytes: 10 }))).toBe(ErrorCodes.TOO_LARGE);
    // An array that claims 2^31 elements in a 10-byte stream fails at once, without allocating them.
    expect(code(() => readMarshal(hex("0408 5b 04 ffffff7f")))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readMarshal(hex("0408 40 06")))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readMarshal(hex("0408 3b 06")))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readMarshal(hex("0409 30")))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readMarshal(hex("0408 30 30")))).toBe(ErrorCodes.CODEC_FAILED);
  });

  it("writes only data: a forged opaque value, a function or a class instance is refused", () => {
    expect(() => valueToMarshal(new ForeignOpaque("ruby-marshal", "Kernel", "forged"))).toThrow(SessionError);
    expect(() => valueToMarshal(() => 1)).toThrow(SessionError);
    expect(() => valueToMarshal(new (class Gadget {})())).toThrow(SessionError);
    expect(() => valueToMarshal("\ud800")).toThrow(SessionError);
  });

  it("writes Integers as Ruby does: Fixnum below 2^30, Bignum above", () => {
    expect(Buffer.from(writeMarshal(valueToMarshal(2 ** 30 - 1))).toString("hex")).toBe("04086904ffffff3f");
    expect(Buffer.from(writeMarshal(valueToMarshal(2 ** 30))).toString("hex")).toBe("04086c2b0700000040");
    expect(Buffer.from(writeMarshal(valueToMarshal(-0))).toString("hex")).toBe("040866072d30");
  });

  it("maps symbols and times both ways", () => {
    const time = new ForeignTime(1700000000123456789n, 3600);
    const back = marshalToValue(readMarshal(writeMarshal(valueToMarshal([new RubySymbol("é"), time]))));
    expect(back).toEqual([new RubySymbol("é"), time]);
  });
});
