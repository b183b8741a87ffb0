import { describe, expect, it } from "vitest";
import { typedJsonCodec } from "../../../src/codecs/typed-json-codec.js";
import { createSessionManager } from "../../../src/create-session-manager.js";
import { SessionManager } from "../../../src/session/session-manager.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { TEST_SECRET } from "../../support/browser.js";
import { cookieOf, countingManager, loadAttributes } from "../../support/memory-manager.js";

describe("attributes a request does not touch", () => {
  it("are not re-encoded at commit when long; touched ones are, nested mutations included", async () => {
    const { manager, encoded } = countingManager();
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    const long = "l".repeat(80);
    first.user = "ann";
    first.cart = { items: ["a"], long };
    const cookie = cookieOf(await manager.commit(first as never));

    encoded.length = 0;
    const reader = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    expect(reader.user).toBe("ann");
    await manager.commit(reader as never);
    expect(encoded).toEqual(["ann"]);

    encoded.length = 0;
    const mutator = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as {
      cart: { items: string[] };
    };
    mutator.cart.items.push("b");
    await manager.commit(mutator as never);
    // The short user is decoded at load and so counts as touched: encoding it again is cheap.
    expect(encoded).toEqual(["ann", { items: ["a", "b"], long }]);
    const again = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    expect({ ...again }).toEqual({ user: "ann", cart: { items: ["a", "b"], long } });
    await manager.close();
  });

  it("can be deleted or replaced without being read", async () => {
    const { manager } = countingManager();
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    first.a = 1;
    first.b = 2;
    const cookie = cookieOf(await manager.commit(first as never));
    const second = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    delete second.a;
    second.b = 3;
    await manager.commit(second as never);
    const third = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    expect({ ...third }).toEqual({ b: 3 });
    await manager.close();
  });

  it("long ones can be deleted unread, assigned again, or set to undefined, and each change is kept", async () => {
    const { manager } = countingManager();
    const long = (tag: string) => ({ tag, pad: "p".repeat(100) });
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    Object.assign(first, { a: long("a1"), b: long("b1"), c: long("c1") });
    const cookie = cookieOf(await manager.commit(first as never));
    const second = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    delete second.a;
    second.a = long("a2");
    second.b = undefined;
    await manager.commit(second as never);
    const third = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    expect({ ...third }).toEqual({ a: long("a2"), c: long("c1") });
    await manager.close();
  });

  it("are not even decoded when long: a request pays only for the long attributes it reads", async () => {
    const { manager, decoded } = countingManager();
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    first.user = "ann";
    first.cart = { items: Array.from({ length: 50 }, (_, i) => `item-${i}`) };
    first.note = { text: "x".repeat(100) };
    const cookie = cookieOf(await manager.commit(first as never));
    const reader = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    // Short values are decoded at load (cheaper than checking a seal); long ones wait for their first read.
    expect(decoded).toEqual(['"ann"']);
    expect(Object.keys(reader)).toEqual(["user", "cart", "note"]);
    expect((reader.note as { text: string }).text).toHaveLength(100);
    expect(reader.note).toBe(reader.note);
    expect(decoded).toHaveLength(2);
    await manager.commit(reader as never);
    expect(decoded).toHaveLength(2);
    expect((reader.cart as { items: string[] }).items[49]).toBe("item-49");
    expect(decoded).toHaveLength(3);
    await manager.close();
  });
});

describe("a long attribute that does not decode (valid seal, codec refuses it)", () => {
  it("empties the session on the first read, and the commit removes the record (rule 8: no session, no 500)", async () => {
    const store = createMemoryStore();
    const manager = createSessionManager({
      store,
      secret: TEST_SECRET,
      codec: {
        name: "refusing",
        encode: (value) => typedJsonCodec.encode(value),
        // A value an older app version cannot read (a newer type tag during a rolling deploy).
        decode: (text) => {
          if (text.includes("poison")) throw new Error("unknown type tag");
          return typedJsonCodec.decode(text);
        },
      },
    });
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    first.user = "ann";
    first.cart = { note: "poison".repeat(20) };
    const cookie = cookieOf(await manager.commit(first as never));
    const { keyHash } = (first as unknown as { meta: { keyHash: string } }).meta;

    const reader = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    expect(reader.user).toBe("ann");
    expect(reader.cart).toBeUndefined();
    // From then on the session is empty, and what the request changes is dropped with the record.
    expect(reader.user).toBeUndefined();
    expect(Object.keys(reader)).toEqual([]);
    reader.user = "bob";
    expect(await manager.commit(reader as never)).toBeUndefined();
    expect(await store.load(keyHash)).toBeNull();
    const next = await manager.load({ cookieHeader: cookie, secure: false });
    expect(next.meta.isNew).toBe(true);
    await manager.close();
  });
});

describe("commit() with an attribute that cannot be stored", () => {
  it("answers a rejected promise, never a synchronous throw (adapters chain .then on it)", async () => {
    const { manager } = countingManager();
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    first.user = "ann";
    const cookie = cookieOf(await manager.commit(first as never));
    const reader = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    reader.callback = () => 1;
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = manager.commit(reader as never);
    }).not.toThrow();
    await expect(pending).rejects.toThrow(/cannot store a function/);
    // Assigning a method throws at once (its setter refuses); defineProperty gets past that and the
    // commit refuses it, again as a rejected promise.
    expect(() => {
      reader.touch = 1;
    }).toThrow(/session method/);
    Object.defineProperty(reader, "touch", {
      value: 1,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    delete reader.callback;
    expect(() => {
      pending = manager.commit(reader as never);
    }).not.toThrow();
    await expect(pending).rejects.toThrow(/session method/);
    await manager.close();
  });
});

describe("commitUnlessQuiet (what the adapters call at the end of a request)", () => {
  it("answers null at once for a read that changed nothing, and commit()'s promise otherwise", async () => {
    const { manager } = countingManager();
    const fresh = await loadAttributes(manager, undefined);
    fresh.user = "ann";
    const creating = manager.commitUnlessQuiet(fresh as never);
    expect(creating).toBeInstanceOf(Promise);
    const cookie = cookieOf((await creating) ?? undefined);

    const reader = await loadAttributes(manager, cookie);
    expect(reader.user).toBe("ann");
    expect(manager.commitUnlessQuiet(reader as never)).toBeNull();

    const writer = await loadAttributes(manager, cookie);
    writer.user = "bob";
    const writing = manager.commitUnlessQuiet(writer as never);
    expect(writing).toBeInstanceOf(Promise);
    await writing;
    const after = await loadAttributes(manager, cookie);
    expect(after.user).toBe("bob");
  });
});

describe("re-issuing a session's cookie", () => {
  const OTHER_SECRET = "another-secret-of-at-least-32-characters-0123";

  it("reuses the MAC verified for the same ID, and signs afresh under a new first secret", async () => {
    const store = createMemoryStore();
    const manager = createSessionManager({ store, secret: TEST_SECRET });
    const fresh = await loadAttributes(manager, undefined);
    fresh.n = 1;
    const issued = cookieOf(await manager.commit(fresh as never));

    const writer = await loadAttributes(manager, issued);
    writer.n = 2;
    expect(cookieOf(await manager.commit(writer as never))).toBe(issued);

    // The old secret still verifies, the new one signs: the re-issued cookie is signed by the new one only.
    const rotated = createSessionManager({ store, secret: [OTHER_SECRET, TEST_SECRET] });
    const renewed = await loadAttributes(rotated, issued);
    expect(renewed.n).toBe(2);
    const reissued = cookieOf(await rotated.commit(renewed as never));
    expect(reissued).not.toBe(issued);
    expect(reissued.split(".")[0]).toBe(issued.split(".")[0]);
    const newOnly = createSessionManager({ store, secret: OTHER_SECRET });
    const next = await loadAttributes(newOnly, reissued);
    expect(next.n).toBe(2);
    const oldOnly = createSessionManager({ store, secret: TEST_SECRET });
    const refused = await loadAttributes(oldOnly, reissued);
    expect(refused.n).toBeUndefined();
  });
});

describe("building a manager", () => {
  it("refuses new SessionManager(options) (0.1's way) with a pointer to createSessionManager", () => {
    const legacy = SessionManager as unknown as new (options: object) => SessionManager;
    expect(() => new legacy({ store: createMemoryStore(), secret: TEST_SECRET })).toThrow(
      /createSessionManager/,
    );
    expect(createSessionManager({ store: createMemoryStore(), secret: TEST_SECRET })).toBeInstanceOf(
      SessionManager,
    );
  });
});
