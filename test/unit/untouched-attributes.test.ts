import { describe, expect, it } from "vitest";
import { typedJsonCodec } from "../../src/codecs/typed-json-codec.js";
import { SessionManager } from "../../src/core/session-manager.js";
import { createMemoryStore } from "../../src/store/memory-store.js";
import { TEST_SECRET } from "../support/browser.js";

/** A manager on a MemoryStore whose codec counts what it encodes. */
function countingManager() {
  const encoded: unknown[] = [];
  const manager = new SessionManager({
    store: createMemoryStore(),
    secret: TEST_SECRET,
    codec: {
      name: "counting",
      decode: typedJsonCodec.decode,
      encode: (value) => {
        encoded.push(value);
        return typedJsonCodec.encode(value);
      },
    },
  });
  return { manager, encoded };
}

const cookieOf = (setCookie: string | undefined) => (setCookie ?? "").split(";")[0] as string;

describe("attributes a request does not touch", () => {
  it("are not re-encoded at commit; touched ones are, nested mutations included", async () => {
    const { manager, encoded } = countingManager();
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    first.user = "ann";
    first.cart = { items: ["a"] };
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
    expect(encoded).toEqual([{ items: ["a", "b"] }]);
    const again = (await manager.load({ cookieHeader: cookie, secure: false })) as unknown as Record<
      string,
      unknown
    >;
    expect({ ...again }).toEqual({ user: "ann", cart: { items: ["a", "b"] } });
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
});
