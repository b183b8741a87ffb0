import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodedAttributesOf, ValueSeal } from "../../../src/session/session-record.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { cookieOf, countingManager } from "../../support/memory-manager.js";

describe("sealed values (checked at load, decoded on use)", () => {
  const seal = new ValueSeal("typed-json");

  it("open what they sealed, and nothing that was changed or cut, whatever the codec's name", () => {
    for (const value of [`{"a":[1,2,"ü😀"],"b":"${"y".repeat(60)}"}`, "x".repeat(5000), "z".repeat(65)]) {
      const sealed = seal.seal(value);
      expect(sealed).toMatch(/^[0-9a-f]{8}/);
      expect(sealed).toHaveLength(value.length + 8);
      expect(seal.open(sealed)).toBe(value);
      expect(seal.open(sealed.slice(0, -1))).toBeNull();
      expect(seal.open(`${sealed}x`)).toBeNull();
      expect(seal.open(value)).toBeNull();
      // The seed is fixed (crc32("typed-json")), not the codec's name: renaming a codec keeps every seal.
      const sealedForMsgpack = new ValueSeal("msgpack").seal(value);
      expect(sealedForMsgpack).toBe(sealed);
      expect(new ValueSeal("typed-json").open(sealedForMsgpack)).toBe(value);
      expect(new ValueSeal("msgpack").open(sealed)).toBe(value);
      expect(new ValueSeal().open(sealed)).toBe(value);
    }
    const sealed = seal.seal(`{"n":1,"pad":"${"p".repeat(64)}"}`);
    expect(seal.open(sealed.replace('"n":1', '"n":2'))).toBeNull();
    expect(seal.open(sealed.toUpperCase())).toBeNull();
  });

  it("still open a value sealed as release 0.1 sealed it for a custom codec (seeded with its name)", () => {
    const value = JSON.stringify({ cart: "c".repeat(100) });
    const legacySeal = (crc32(value, crc32("msgpack")) >>> 0).toString(16).padStart(8, "0");
    const stored = `${legacySeal}${value}`;
    expect(stored).not.toBe(seal.seal(value));
    expect(new ValueSeal("msgpack").open(stored)).toBe(value);
    expect(new ValueSeal("other").open(stored)).toBeNull();
    expect(new ValueSeal("msgpack").open(`${stored.slice(0, -1)}x`)).toBeNull();
  });

  it("leave short values as they are (decoding them is the check), and refuse the lengths in between", () => {
    for (const value of ['"ann"', "0", "", "s".repeat(64)]) {
      expect(seal.seal(value)).toBe(value);
      expect(seal.open(value)).toBe(value);
    }
    expect(seal.open("s".repeat(65))).toBeNull();
    expect(seal.open("s".repeat(72))).toBeNull();
  });

  it("renaming a codec keeps every stored session (same encoding, another name)", async () => {
    const store = createMemoryStore();
    const writer = countingManager(store, "codec-a");
    const first = (await writer.manager.load({
      cookieHeader: undefined,
      secure: false,
    })) as unknown as Record<string, unknown>;
    const cart = { items: Array.from({ length: 20 }, (_, i) => `item-${i}`) };
    first.cart = cart;
    const cookie = cookieOf(await writer.manager.commit(first as never));
    const reader = countingManager(store, "codec-b");
    const loaded = await reader.manager.load({ cookieHeader: cookie, secure: false });
    expect(loaded.meta.isNew).toBe(false);
    expect((loaded as unknown as Record<string, unknown>).cart).toEqual(cart);
    expect(reader.decoded).toHaveLength(1);
    await writer.manager.close();
  });

  it("a stored attribute named after a session method is left out, and the next write removes it", async () => {
    const store = createMemoryStore();
    const { manager } = countingManager(store);
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    first.user = "ann";
    const cookie = cookieOf(await manager.commit(first as never));
    const keyHash = (first as unknown as { meta: { keyHash: string } }).meta.keyHash;
    // Another tool writes into the record behind sessionkit's back.
    await store.write(keyHash, { mode: "update", set: [["touch", "1"]], remove: [], ttlMs: 60_000 });
    const loaded = await manager.load({ cookieHeader: cookie, secure: false });
    expect(loaded.meta.isNew).toBe(false);
    expect(typeof loaded.touch).toBe("function");
    expect({ ...loaded }).toEqual({ user: "ann" });
    (loaded as unknown as Record<string, unknown>).user = "bob";
    await manager.commit(loaded);
    expect((await store.load(keyHash))?.has("touch")).toBe(false);
  });
});

describe("event data of a stored record", () => {
  it('keeps every attribute, "__proto__" included, without seals', () => {
    const seal = new ValueSeal("typed-json");
    const long = JSON.stringify("x".repeat(100));
    const data = encodedAttributesOf({ $c: "1", __proto__x: "1", user: '"ann"', cart: seal.seal(long) });
    expect(data).toEqual({ __proto__x: "1", user: '"ann"', cart: long });
    const withProto = encodedAttributesOf(JSON.parse('{"$c":"1","__proto__":"2"}'));
    expect(Object.getPrototypeOf(withProto)).toBe(Object.prototype);
    expect(Object.keys(withProto)).toEqual(["__proto__"]);
  });
});
