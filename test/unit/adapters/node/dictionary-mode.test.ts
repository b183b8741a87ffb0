import { describe, expect, it } from "vitest";
import { useDictionaryProperties } from "../../../../src/adapters/node/dictionary-mode.js";

describe("dictionary mode", () => {
  it("keeps every property and value", () => {
    const target = { a: 1, b: "two", [Symbol.for("c")]: 3 } as Record<string | symbol, unknown>;
    useDictionaryProperties(target);
    expect(target).toEqual({ a: 1, b: "two", [Symbol.for("c")]: 3 });
    expect(Object.getOwnPropertySymbols(target)).toEqual([Symbol.for("c")]);
  });
});
