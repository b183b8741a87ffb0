import { describe, expect, it } from "vitest";
import { ErrorCodes, SessionError } from "../../../src/common/errors.js";
import { ForeignOpaque, PyDateTime } from "../../../src/interop/foreign-value.js";
import { readPickle } from "../../../src/interop/pickle/pickle-reader.js";
import { pickleToValue, valueToPickle } from "../../../src/interop/pickle/pickle-view.js";
import { writePickle } from "../../../src/interop/pickle/pickle-writer.js";
import { prototypeSnapshot } from "../../support/fuzz.js";
import { corpus } from "./corpus.js";

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ""), "hex");
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as SessionError).code;
  }
  return "none";
};

/** The opcodes a written pickle may contain besides data: GLOBAL/STACK_GLOBAL names, and REDUCE. */
function globalsOf(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes).toString("latin1");
  return [...text.matchAll(/\x8c.(datetime|decimal|builtins)\x94?\x8c.(\w+)\x94?\x93/g)].map(
    (m) => `${m[1]}.${m[2]}`,
  );
}

describe("Python pickle codec", () => {
  it("reads every pickle of the Python corpus (protocols 2-5) and writes a value Python reads back", () => {
    const before = prototypeSnapshot();
    for (const bytes of corpus("pickle-corpus.txt").slice(0, -1)) {
      const node = readPickle(bytes);
      const value = pickleToValue(node);
      expect(() => writePickle(node, 4)).not.toThrow();
      expect(() => writePickle(valueToPickle(value), 4)).not.toThrow();
    }
    expect(prototypeSnapshot()).toBe(before);
  });

  it("reads the login session of the anchors document", () => {
    const bytes = corpus("pickle-corpus.txt").at(-2) as Buffer;
    expect(pickleToValue(readPickle(bytes))).toMatchObject({ _auth_user_id: "42", _session_expiry: 300 });
  });

  it("never imports or calls: a class outside the allowlist is inert, or refused on demand", () => {
    // os.system("echo pwned") as protocol 0/2 GLOBAL + REDUCE.
    const exploit = Buffer.concat([
      hex("8002"),
      Buffer.from("cos\nsystem\n"),
      hex("8c0a"),
      Buffer.from("echo pwned"),
      hex("85 52 2e"),
    ]);
    const value = pickleToValue(readPickle(exploit));
    expect(value).toBeInstanceOf(ForeignOpaque);
    expect((value as ForeignOpaque).className).toBe("os.system");
    expect(code(() => pickleToValue(readPickle(exploit), "refuse"))).toBe(ErrorCodes.CODEC_FAILED);
    expect(() => valueToPickle(new ForeignOpaque("python-pickle", "os.system", "forged"))).toThrow(
      SessionError,
    );
  });

  it("writes GLOBAL and REDUCE only for the allowlist", () => {
    const bytes = writePickle(
      valueToPickle({ at: new PyDateTime(2026, 1, 2, 3, 4, 5, 6, 3600), n: [1, "x"] }),
      4,
    );
    expect(new Set(globalsOf(bytes))).toEqual(
      new Set(["datetime.datetime", "datetime.timezone", "datetime.timedelta"]),
    );
    expect(globalsOf(writePickle(valueToPickle({ a: [1, { b: "c" }] }), 4))).toEqual([]);
  });

  it("refuses what is over the limits, and broken pickles", () => {
    expect(code(() => readPickle(Buffer.alloc(100), { maxBytes: 10 }))).toBe(ErrorCodes.TOO_LARGE);
    const deep = Buffer.concat([hex("8004"), Buffer.alloc(100, 0x5d), Buffer.alloc(99, 0x61), hex("2e")]);
    expect(code(() => pickleToValue(readPickle(deep)))).toBe(ErrorCodes.TOO_LARGE);
    expect(code(() => readPickle(hex("8004 68 05 2e")))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readPickle(hex("8004 58 ffffff7f")))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readPickle(hex("8004 4e 4e 2e")))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readPickle(hex("8004 50 2e")))).toBe(ErrorCodes.CODEC_FAILED);
    expect(code(() => readPickle(hex("8004 4e")))).toBe(ErrorCodes.CODEC_FAILED);
  });

  it("keeps __proto__ as a plain key", () => {
    const before = prototypeSnapshot();
    const stream = corpus("pickle-corpus.txt").find((bytes) => bytes.includes("__proto__")) as Buffer;
    const value = pickleToValue(readPickle(stream)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(null);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(prototypeSnapshot()).toBe(before);
  });
});
