import { describe, expect, it } from "vitest";
import { typedJsonCodec as codec } from "../../../src/codecs/typed-json-codec.js";
import { changeSetOf, NO_CHANGES } from "../../../src/session/change-set.js";
import { Session } from "../../../src/session/session.js";
import { ValueSeal } from "../../../src/session/session-record.js";
import { loadedSessionState, type SessionBackend } from "../../../src/session/session-state.js";

const seal = new ValueSeal();
const LONG = "l".repeat(100);

/** A loaded session whose record holds `attributes` (name -> value), as the manager builds it. */
const LIMITS = { maxSessionBytes: 256 * 1024, maxAttributes: 1000 };

function loaded(attributes: Record<string, unknown>) {
  const storedEncoded = new Map(
    Object.entries(attributes).map(([name, value]) => [name, codec.encode(value)]),
  );
  const state = loadedSessionState({
    backend: {} as SessionBackend,
    id: "id",
    keyId: "key",
    times: { createdAt: 0, lastAccessAt: 0, absoluteDeadline: 1 },
    principal: undefined,
    storedEncoded,
    touchDue: false,
    cookieDue: false,
    secureRequest: false,
  });
  const session = new Session(state, new Map(storedEncoded), (text) => codec.decode(text));
  return {
    session,
    attributes: session as unknown as Record<string, unknown>,
    changes: (limits = LIMITS) => changeSetOf(session, storedEncoded, codec, seal, limits),
  };
}

describe("changeSetOf", () => {
  it("answers NO_CHANGES for a loaded session the request did not change, read or not", () => {
    const { attributes, changes } = loaded({ user: "ann", cart: { items: ["a"], pad: LONG }, n: 1 });
    expect(changes()).toBe(NO_CHANGES);
    expect(attributes.user).toBe("ann");
    expect((attributes.cart as { items: string[] }).items).toEqual(["a"]);
    attributes.n = 1;
    expect(changes()).toBe(NO_CHANGES);
  });

  it("sets only the changed attributes, long values sealed", () => {
    const { attributes, changes } = loaded({ user: "ann", cart: { pad: LONG }, note: { pad: LONG } });
    attributes.user = "bob";
    attributes.cart = { pad: LONG, more: 1 };
    attributes.added = { pad: LONG };
    const { set, remove, encoded } = changes();
    const cartEncoded = codec.encode({ pad: LONG, more: 1 });
    const addedEncoded = codec.encode({ pad: LONG });
    expect(set).toEqual([
      ["user", '"bob"'],
      ["cart", seal.seal(cartEncoded)],
      ["added", seal.seal(addedEncoded)],
    ]);
    expect(set[1]?.[1]).toMatch(/^[0-9a-f]{8}\{/);
    expect(remove).toEqual([]);
    // What the store holds afterwards, unsealed: the untouched note as it was.
    expect(Object.fromEntries(encoded)).toEqual({
      user: '"bob"',
      cart: cartEncoded,
      note: codec.encode({ pad: LONG }),
      added: addedEncoded,
    });
  });

  it("removes a deleted attribute and one set to undefined, long ones unread included", () => {
    const { attributes, changes } = loaded({ a: 1, b: 2, c: { pad: LONG }, d: { pad: LONG }, e: 5 });
    delete attributes.a;
    attributes.b = undefined;
    delete attributes.c;
    attributes.d = undefined;
    const { set, remove, encoded } = changes();
    expect(set).toEqual([]);
    expect(remove.sort()).toEqual(["a", "b", "c", "d"]);
    expect([...encoded.keys()]).toEqual(["e"]);
  });

  it("catches a nested mutation", () => {
    const { attributes, changes } = loaded({ cart: { items: ["a"], pad: LONG }, prefs: { dark: false } });
    (attributes.cart as { items: string[] }).items.push("b");
    (attributes.prefs as { dark: boolean }).dark = true;
    const { set } = changes();
    expect(set).toEqual([
      ["cart", seal.seal(codec.encode({ items: ["a", "b"], pad: LONG }))],
      ["prefs", '{"dark":true}'],
    ]);
  });

  it('stores an attribute whose name starts with "$" under one more "$"', () => {
    const { attributes, changes } = loaded({ $old: 1, user: "ann" });
    attributes.$flag = true;
    delete attributes.$old;
    const { set, remove, encoded } = changes();
    expect(set).toEqual([["$$flag", "true"]]);
    expect(remove).toEqual(["$$old"]);
    expect(Object.fromEntries(encoded)).toEqual({ user: '"ann"', $flag: "true" });
  });

  it("refuses a change past maxAttributes or maxSessionBytes as SESSION_TOO_LARGE (413), and allows one at them", () => {
    const { attributes, changes } = loaded({ user: "ann" });
    attributes.a = 1;
    expect(() => changes({ maxSessionBytes: 1e6, maxAttributes: 1 })).toThrow(
      expect.objectContaining({ code: "SESSION_TOO_LARGE", status: 413 }),
    );
    expect(changes({ maxSessionBytes: 1e6, maxAttributes: 2 }).set).toHaveLength(1);
    // user + "ann" (7 bytes with quotes) + a + 1 = 4 + 5 + 1 + 1 = 11 bytes; multi-byte characters count as UTF-8.
    expect(changes({ maxSessionBytes: 11, maxAttributes: 10 }).set).toHaveLength(1);
    expect(() => changes({ maxSessionBytes: 10, maxAttributes: 10 })).toThrow(/maxSessionBytes: 10/);
    attributes.a = "é";
    expect(() => changes({ maxSessionBytes: 13, maxAttributes: 10 })).toThrow(
      /SESSION_TOO_LARGE|maxSessionBytes/,
    );
    expect(changes({ maxSessionBytes: 14, maxAttributes: 10 }).set).toHaveLength(1);
  });
});
