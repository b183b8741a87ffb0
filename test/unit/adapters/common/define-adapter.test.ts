import { describe, expect, it, vi } from "vitest";
import { session as expressSession } from "../../../../src/adapters/express/index.js";
import { session as nodeSession } from "../../../../src/adapters/node/index.js";
import { createSessionManager } from "../../../../src/create-session-manager.js";
import { SessionManager } from "../../../../src/session/session-manager.js";
import { createMemoryStore } from "../../../../src/store/memory-store.js";
import { TEST_SECRET } from "../../../support/browser.js";

const adapters = [
  ["express", expressSession],
  ["node", nodeSession],
] as const;

describe.each(adapters)("the %s adapter's handle", (_name, session) => {
  it("session(options): .close() closes the manager it built, and its store", async () => {
    const store = createMemoryStore();
    const storeClose = vi.spyOn(store, "close");
    const handle = session({ store, secret: TEST_SECRET });
    expect(handle.manager).toBeInstanceOf(SessionManager);
    expect(handle.manager.store).toBe(store);
    const managerClose = vi.spyOn(handle.manager, "close");
    await handle.close();
    expect(managerClose).toHaveBeenCalledTimes(1);
    expect(storeClose).toHaveBeenCalledTimes(1);
  });

  it("session(manager): .manager is that manager, and .close() leaves it open", async () => {
    const store = createMemoryStore();
    const storeClose = vi.spyOn(store, "close");
    const manager = createSessionManager({ store, secret: TEST_SECRET });
    const managerClose = vi.spyOn(manager, "close");
    const handle = session(manager);
    expect(handle.manager).toBe(manager);
    await handle.close();
    expect(managerClose).not.toHaveBeenCalled();
    expect(storeClose).not.toHaveBeenCalled();
    // Still usable by the app (and any other adapter sharing it), which closes it itself.
    const fresh = await manager.load({ cookieHeader: undefined, secure: false });
    (fresh as unknown as Record<string, unknown>).user = "ann";
    expect(await manager.commit(fresh)).toMatch(/^sid=/);
    await manager.close();
    expect(storeClose).toHaveBeenCalledTimes(1);
  });
});
