import { describe, expect, it } from "vitest";
import { ErrorCodes, SessionError } from "../../../src/common/errors.js";
import { createSessionManager } from "../../../src/create-session-manager.js";
import { RESERVED_ATTRIBUTES, Session } from "../../../src/session/session.js";
import { createMemoryStore, type MemoryStore } from "../../../src/store/memory-store.js";
import { TEST_SECRET } from "../../support/browser.js";
import { cookieOf, loadAttributes } from "../../support/memory-manager.js";

const METHODS = ["setPrincipal", "regenerate", "destroy", "save", "touch"] as const;

/** Every record of a MemoryStore with its fields: what a test compares before and after. */
async function snapshot(store: MemoryStore): Promise<[string, Record<string, string> | null][]> {
  const keyIds = new Set<string>();
  for await (const batch of store.scanKeyIds()) for (const keyId of batch) keyIds.add(keyId);
  const records: [string, Record<string, string> | null][] = [];
  for (const keyId of [...keyIds].sort()) records.push([keyId, (await store.inspect(keyId)).fields]);
  return records;
}

function managerOnMemory() {
  const store = createMemoryStore();
  return { store, manager: createSessionManager({ store, secret: TEST_SECRET }) };
}

const defineAttribute = (target: object, name: string, value: unknown) =>
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });

describe("reserved attribute names", () => {
  it("are every name on the Session prototype, setPrincipal included", () => {
    expect(new Set(RESERVED_ATTRIBUTES)).toEqual(new Set(Object.getOwnPropertyNames(Session.prototype)));
    for (const name of [...METHODS, "meta"]) expect(RESERVED_ATTRIBUTES.has(name)).toBe(true);
  });

  it("cannot be assigned on a session: the methods are read-only", async () => {
    const { manager } = managerOnMemory();
    const session = await loadAttributes(manager, undefined);
    for (const name of METHODS) {
      const method = session[name];
      expect(typeof method).toBe("function");
      expect(() => {
        session[name] = 1;
      }).toThrow(expect.objectContaining({ code: "SESSION_INVALID_STATE", status: 400 }));
      expect(() => Object.assign(session, { [name]: 1 })).toThrow(/session method/);
      expect(session[name]).toBe(method);
      expect(Object.hasOwn(session, name)).toBe(false);
    }
    await manager.close();
  });

  it("are refused at commit when defined as an attribute, and nothing is written", async () => {
    const { store, manager } = managerOnMemory();
    // A new session: the commit would create its record.
    const fresh = await loadAttributes(manager, undefined);
    fresh.user = "ann";
    defineAttribute(fresh, "setPrincipal", 1);
    const creating = manager.commit(fresh as never);
    await expect(creating).rejects.toBeInstanceOf(SessionError);
    await expect(creating).rejects.toMatchObject({
      code: ErrorCodes.SESSION_STATE,
      status: 400,
      message: expect.stringContaining('"setPrincipal"'),
    });
    expect(store.size).toBe(0);

    // A stored session: the commit would update its record.
    const first = await loadAttributes(manager, undefined);
    first.user = "ann";
    const cookie = cookieOf(await manager.commit(first as never));
    const before = await snapshot(store);
    expect(before).toHaveLength(1);
    const writer = await loadAttributes(manager, cookie);
    writer.user = "bob";
    defineAttribute(writer, "setPrincipal", 1);
    const updating = manager.commit(writer as never);
    await expect(updating).rejects.toMatchObject({
      code: "SESSION_INVALID_STATE",
      message: expect.stringContaining("setPrincipal"),
    });
    expect(await snapshot(store)).toEqual(before);
    await manager.close();
  });

  it("are left out of a stored record that carries one: the session lives on, a login works, the next write drops it", async () => {
    const { store, manager } = managerOnMemory();
    const first = await loadAttributes(manager, undefined);
    first.user = "ann";
    const cookie = cookieOf(await manager.commit(first as never));
    const { keyId } = (first as unknown as Session).meta;
    // Another tool writes an attribute named after a method into the record.
    await store.write(keyId, { mode: "update", set: [["setPrincipal", "1"]], remove: [], ttlMs: 60_000 });
    expect((await store.load(keyId))?.get("setPrincipal")).toBe("1");

    const loaded = await loadAttributes(manager, cookie);
    const session = loaded as unknown as Session;
    expect(session.meta.isNew).toBe(false);
    expect(session.meta.keyId).toBe(keyId);
    expect({ ...loaded }).toEqual({ user: "ann" });

    // The session's methods are its own, not a stored value: a login works.
    expect(typeof session.setPrincipal).toBe("function");
    await session.setPrincipal("u1");
    loaded.user = "ann";
    const loginCookie = cookieOf(await manager.commit(session));
    expect(loginCookie).toMatch(/^sid=/);
    const after = await loadAttributes(manager, loginCookie);
    expect((after as unknown as Session).meta).toMatchObject({ isNew: false, principal: "u1" });
    expect(after.user).toBe("ann");
    expect((await store.load((after as unknown as Session).meta.keyId))?.has("setPrincipal")).toBe(false);
    expect(await manager.listSessions("u1")).toHaveLength(1);
    await manager.close();
  });
});

describe("express-session's callback forms, id and reload", () => {
  /** Resolves with the arguments of the callback's first call; fails if it is called twice. */
  function callback() {
    let calls = 0;
    let resolve: (args: unknown[]) => void = () => {};
    const called = new Promise<unknown[]>((r) => {
      resolve = r;
    });
    const fn = (...args: unknown[]) => {
      calls++;
      resolve(args);
    };
    return { fn, called, calls: () => calls };
  }

  it("regenerate(cb), save(cb), destroy(cb) call back once without an error and return the session", async () => {
    const { manager, store } = managerOnMemory();
    const session = (await manager.load({ cookieHeader: undefined, secure: false })) as Session &
      Record<string, unknown>;
    session.user = "ann";
    const before = session.id;
    const regenerated = callback();
    expect(session.regenerate(regenerated.fn)).toBe(session);
    expect(await regenerated.called).toEqual([]);
    expect(session.id).not.toBe(before);
    const saved = callback();
    expect(session.save(saved.fn)).toBe(session);
    expect(await saved.called).toEqual([]);
    expect(await snapshot(store)).toHaveLength(1);
    const destroyed = callback();
    expect(session.destroy(destroyed.fn)).toBe(session);
    expect(await destroyed.called).toEqual([]);
    expect(await snapshot(store)).toEqual([]);
    await new Promise((r) => setTimeout(r, 10));
    expect(regenerated.calls() + saved.calls() + destroyed.calls()).toBe(3);
  });

  it("an error reaches the callback (once), not a rejection", async () => {
    const { manager } = managerOnMemory();
    const session = await manager.load({ cookieHeader: undefined, secure: false });
    await session.destroy();
    const saved = callback();
    session.save(saved.fn);
    const [error] = await saved.called;
    expect(error).toBeInstanceOf(SessionError);
    expect((error as SessionError).code).toBe(ErrorCodes.SESSION_STATE);
    const reloaded = callback();
    session.reload(reloaded.fn);
    expect((await reloaded.called)[0]).toBeInstanceOf(SessionError);
    await new Promise((r) => setTimeout(r, 10));
    expect(saved.calls() + reloaded.calls()).toBe(2);
  });

  it("a callback that throws is an uncaught exception (as with express-session), called once", async () => {
    const { manager } = managerOnMemory();
    const session = await manager.load({ cookieHeader: undefined, secure: false });
    const uncaught = new Promise<unknown>((resolve) => process.once("uncaughtException", resolve));
    let calls = 0;
    session.save(() => {
      calls++;
      throw new Error("thrown by the app's callback");
    });
    expect(((await uncaught) as Error).message).toBe("thrown by the app's callback");
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toBe(1);
  });

  it("touch(cb) returns the session and calls back", async () => {
    const { manager } = managerOnMemory();
    const session = await manager.load({ cookieHeader: undefined, secure: false });
    const touched = callback();
    expect(session.touch(touched.fn)).toBe(session);
    expect(await touched.called).toEqual([]);
  });

  it("reload() drops the request's uncommitted changes and reads what the store holds now", async () => {
    const { manager } = managerOnMemory();
    const first = (await manager.load({ cookieHeader: undefined, secure: false })) as Session &
      Record<string, unknown>;
    first.cart = ["apple"];
    const cookie = cookieOf(await manager.commit(first));
    const tab = (await manager.load({ cookieHeader: cookie, secure: false })) as Session &
      Record<string, unknown>;
    const other = (await manager.load({ cookieHeader: cookie, secure: false })) as Session &
      Record<string, unknown>;
    other.cart = ["apple", "pear"];
    await manager.commit(other);
    tab.draft = "unsaved";
    await tab.reload();
    expect({ ...tab }).toEqual({ cart: ["apple", "pear"] });
    expect(tab.id).toBe(other.id);
    // Nothing changed since the reload: the commit writes nothing.
    expect(await manager.commit(tab)).toBeUndefined();
  });

  it("reload() of a session the store does not hold fails with SESSION_INVALID_STATE", async () => {
    const { manager } = managerOnMemory();
    const fresh = await manager.load({ cookieHeader: undefined, secure: false });
    await expect(fresh.reload()).rejects.toMatchObject({ code: ErrorCodes.SESSION_STATE });
  });
});
