import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AdminStore,
  isAdminStore,
  isPrincipalIndexStore,
  type PrincipalIndexStore,
  type SessionStore,
  type StoredFields,
} from "../../src/store/session-store.js";

export interface StoreUnderTest {
  store: PrincipalIndexStore & AdminStore;
  /** Remaining TTL of a record in ms, -2 when there is none, -1 when it has none (Redis PTTL semantics). */
  pttl(keyId: string): Promise<number>;
  close(): Promise<void>;
}

const meta: [string, string][] = [["$c", "1"]];
let counter = 0;
const key = () => `contract-${Date.now()}-${counter++}`;

/** A loaded record as a plain object, for toEqual (null: no record). */
async function loadFields(store: SessionStore, keyId: string): Promise<StoredFields | null> {
  const record = await store.load(keyId);
  return record === null ? null : Object.fromEntries(record);
}

/**
 * The behaviour every SessionStore must have, whatever it runs on. One body, run for MemoryStore and for
 * RedisStore on each client (STYLE: unstorage's driver suite, node-redis's testAll).
 */
export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    beforeAll(async () => {
      subject = await open();
    });
    afterAll(async () => {
      await subject?.close();
    });

    it("loads nothing for an unknown key", async () => {
      expect(await loadFields(subject.store, key())).toBeNull();
    });

    it("creates a record with its fields and TTL in one write", async () => {
      const k = key();
      const outcome = await subject.store.write(k, {
        mode: "create",
        set: [...meta, ["a", '"x"']],
        remove: [],
        ttlMs: 60_000,
      });
      expect(outcome).toBe("written");
      expect(await loadFields(subject.store, k)).toEqual({ $c: "1", a: '"x"' });
      const ttl = await subject.pttl(k);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it("refuses to create over an existing record", async () => {
      const k = key();
      await subject.store.write(k, { mode: "create", set: meta, remove: [], ttlMs: 60_000 });
      expect(
        await subject.store.write(k, { mode: "create", set: [["b", "2"]], remove: [], ttlMs: 60_000 }),
      ).toBe("exists");
      expect(await loadFields(subject.store, k)).toEqual({ $c: "1" });
    });

    it("updates only the named fields, removes others, and resets the TTL", async () => {
      const k = key();
      await subject.store.write(k, {
        mode: "create",
        set: [...meta, ["a", "1"], ["b", "2"]],
        remove: [],
        ttlMs: 10_000,
      });
      const outcome = await subject.store.write(k, {
        mode: "update",
        set: [["c", "3"]],
        remove: ["a"],
        ttlMs: 90_000,
      });
      expect(outcome).toBe("written");
      expect(await loadFields(subject.store, k)).toEqual({ $c: "1", b: "2", c: "3" });
      expect(await subject.pttl(k)).toBeGreaterThan(80_000);
    });

    it("merges a change anywhere in the record: replaced, added and removed fields, in any order", async () => {
      const k = key();
      const fields: [string, string][] = ["a", "b", "c", "d", "e", "f"].map((n, i) => [n, String(i)]);
      await subject.store.write(k, { mode: "create", set: [...meta, ...fields], remove: [], ttlMs: 60_000 });
      await subject.store.write(k, {
        mode: "update",
        set: [
          ["f", "F"],
          ["$c", "2"],
          ["g", "G"],
          ["c", "C"],
        ],
        remove: ["b", "e", "absent"],
        ttlMs: 60_000,
      });
      expect(await loadFields(subject.store, k)).toEqual({ $c: "2", a: "0", c: "C", d: "3", f: "F", g: "G" });
      await subject.store.write(k, {
        mode: "update",
        set: [["h", "H"]],
        remove: ["$c", "a", "c", "d", "f", "g"],
        ttlMs: 60_000,
      });
      expect(await loadFields(subject.store, k)).toEqual({ h: "H" });
    });

    it("never brings back a missing record on update (no resurrection)", async () => {
      const k = key();
      expect(
        await subject.store.write(k, { mode: "update", set: [["a", "1"]], remove: [], ttlMs: 60_000 }),
      ).toBe("gone");
      expect(await loadFields(subject.store, k)).toBeNull();
      await subject.store.write(k, { mode: "create", set: meta, remove: [], ttlMs: 60_000 });
      await subject.store.remove(k);
      expect(
        await subject.store.write(k, { mode: "update", set: [["a", "1"]], remove: [], ttlMs: 60_000 }),
      ).toBe("gone");
      expect(await loadFields(subject.store, k)).toBeNull();
      expect(await subject.pttl(k)).toBe(-2);
    });

    it("expires records by their TTL", async () => {
      const k = key();
      await subject.store.write(k, { mode: "create", set: meta, remove: [], ttlMs: 50 });
      await expect.poll(() => loadFields(subject.store, k), { timeout: 3000, interval: 25 }).toBeNull();
    });

    it("keeps many fields and arbitrary text exactly", async () => {
      const k = key();
      const fields: [string, string][] = Array.from({ length: 1500 }, (_, i) => [`f${i}`, `v${i}`]);
      const tricky: [string, string][] = [
        ["unicode ✓ 日本", '"🙂\\u0000 nul and \\n newline"'],
        ["$$dollar", "{}"],
        ["empty", ""],
        ["big", "x".repeat(200_000)],
      ];
      await subject.store.write(k, {
        mode: "create",
        set: [...meta, ...fields, ...tricky],
        remove: [],
        ttlMs: 60_000,
      });
      const loaded = await loadFields(subject.store, k);
      expect(Object.keys(loaded ?? {})).toHaveLength(1 + fields.length + tricky.length);
      for (const [field, value] of [...fields, ...tricky]) expect(loaded?.[field]).toBe(value);
      await subject.store.write(k, {
        mode: "update",
        set: [],
        remove: fields.map(([f]) => f),
        ttlMs: 60_000,
      });
      expect(Object.keys((await loadFields(subject.store, k)) ?? {})).toHaveLength(1 + tricky.length);
    });

    it("indexes a principal's sessions: list, prune the ended, revoke some, all, or all but one", async () => {
      const tag = `T${String(counter++).padStart(10, "0")}`;
      const indexId = `${tag}.principal-${Date.now()}`;
      const now = Date.now();
      const ids = ["a", "b", "c", "d"].map((h) => `${tag}.${h}-${now}`);
      const meta = (lastAccess: number): [string, string][] => [
        ["$c", String(lastAccess)],
        ["$a", String(lastAccess)],
        ["$x", String(now + 3_600_000)],
      ];
      for (const id of ids) {
        const write = {
          mode: "create" as const,
          set: [...meta(now), ["$ua", "agent"] as [string, string]],
          remove: [],
          ttlMs: 60_000,
        };
        await subject.store.write(id, { ...write, index: { indexId, deadline: now + 60_000 } });
      }
      // One session idle for longer than the idle timeout (10 s here): pruned when listed.
      await subject.store.write(ids[3] as string, {
        mode: "update",
        set: meta(now - 20_000),
        remove: [],
        ttlMs: 60_000,
        index: { indexId, deadline: now },
      });
      const listed = await subject.store.listIndexed(indexId, now, 10_000);
      expect(listed.map((s) => s.handle).sort()).toEqual(
        ids
          .slice(0, 3)
          .map((id) => id.split(".")[1])
          .sort(),
      );
      expect(listed[0]?.fields.$ua).toBe("agent");
      const handles = ids.map((id) => id.split(".")[1] as string);
      expect(
        (await subject.store.revokeIndexed(indexId, { handles: [handles[0] as string, "not-mine"] })).map(
          (r) => r.handle,
        ),
      ).toEqual([handles[0]]);
      expect(await loadFields(subject.store, ids[0] as string)).toBeNull();
      const rest = await subject.store.revokeIndexed(indexId, { keep: handles[1], withFields: true });
      expect(rest.map((r) => r.handle)).toEqual([handles[2]]);
      expect(rest[0]?.fields.$ua).toBe("agent");
      expect(await loadFields(subject.store, ids[1] as string)).not.toBeNull();
      await subject.store.remove(ids[1] as string, indexId);
      expect(await subject.store.listIndexed(indexId, now, 10_000)).toEqual([]);
    });

    it("keeps separator and control characters, emoji and odd names, also through list and revoke", async () => {
      const tag = `S${String(counter++).padStart(10, "0")}`;
      const indexId = `${tag}.principal-${Date.now()}`;
      const id = `${tag}.odd-${Date.now()}`;
      const now = Date.now();
      const odd: [string, string][] = [
        ["sep\x1e\x1f\x1dname", "a\x1eb\x1fc\x1dd\x1d0"],
        ["__proto__", '"not a prototype"'],
        ["emoji", `"${"🎉".repeat(40)}é"`],
        ["$$x", "\x1d"],
      ];
      const device: [string, string][] = [
        ["$ua", "Mozilla/5.0 \x1e\x1f (odd agent) ".repeat(8)],
        ["$ip", "::1"],
      ];
      const times: [string, string][] = [
        ["$c", String(now)],
        ["$a", String(now)],
        ["$x", String(now + 3_600_000)],
      ];
      await subject.store.write(id, {
        mode: "create",
        set: [...times, ...device, ...odd],
        remove: [],
        ttlMs: 60_000,
        index: { indexId, deadline: now + 60_000 },
      });
      const loaded = await loadFields(subject.store, id);
      expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
      expect(Object.entries(loaded ?? {}).sort()).toEqual([...times, ...device, ...odd].sort());
      await subject.store.write(id, {
        mode: "update",
        set: [],
        remove: ["sep\x1e\x1f\x1dname"],
        ttlMs: 60_000,
      });
      expect(Object.keys((await loadFields(subject.store, id)) ?? {})).not.toContain("sep\x1e\x1f\x1dname");
      const [listed] = await subject.store.listIndexed(indexId, now, 60_000);
      expect(listed?.fields).toMatchObject(Object.fromEntries([...times, ...device]));
      const [revoked] = await subject.store.revokeIndexed(indexId, { withFields: true });
      expect(Object.entries(revoked?.fields ?? {}).sort()).toEqual(
        [...times, ...device, ...odd.slice(1)].sort(),
      );
    });

    it("a create that replaces a record deletes it and its index entry; one that fails leaves it whole", async () => {
      const now = Date.now();
      const oldTag = `R${String(counter++).padStart(6, "0")}`;
      const newTag = `N${String(counter++).padStart(6, "0")}`;
      const oldIndex = `${oldTag}.principal-${now}`;
      const oldId = `${oldTag}.old-${now}`;
      const times: [string, string][] = [
        ["$c", String(now)],
        ["$a", String(now)],
        ["$x", String(now + 60_000)],
      ];
      const index = (indexId: string) => ({ indexId, deadline: now + 60_000 });
      await subject.store.write(oldId, {
        mode: "create",
        set: [...times, ["cart", '"x"']],
        remove: [],
        ttlMs: 60_000,
        index: index(oldIndex),
      });
      // A create over a taken key fails and must not touch the record it was to replace.
      const taken = key();
      await subject.store.write(taken, { mode: "create", set: meta, remove: [], ttlMs: 60_000 });
      const failed = await subject.store.write(taken, {
        mode: "create",
        set: times,
        remove: [],
        ttlMs: 60_000,
        replaces: { keyId: oldId, indexId: oldIndex },
      });
      expect(failed).toBe("exists");
      expect(await loadFields(subject.store, oldId)).toMatchObject({ cart: '"x"' });
      expect((await subject.store.listIndexed(oldIndex, now, 60_000)).map((s) => s.handle)).toHaveLength(1);
      // Same slot (the principal's own tag) and another slot (an anonymous session logging in).
      for (const [newId, newIndex] of [
        [`${oldTag}.new-${now}`, oldIndex],
        [`${newTag}.new-${now}`, `${newTag}.principal-${now}`],
      ] as const) {
        await subject.store.write(oldId, {
          mode: "create",
          set: times,
          remove: [],
          ttlMs: 60_000,
          index: index(oldIndex),
        });
        const written = await subject.store.write(newId, {
          mode: "create",
          set: [...times, ["cart", '"x"']],
          remove: [],
          ttlMs: 60_000,
          index: index(newIndex),
          replaces: { keyId: oldId, indexId: oldIndex },
        });
        expect(written).toBe("written");
        expect(await loadFields(subject.store, oldId)).toBeNull();
        expect(await loadFields(subject.store, newId)).toMatchObject({ cart: '"x"' });
        const listed = (await subject.store.listIndexed(oldIndex, now, 60_000)).map((s) => s.handle);
        expect(listed).not.toContain(oldId.split(".")[1]);
        expect((await subject.store.listIndexed(newIndex, now, 60_000)).map((s) => s.handle)).toContain(
          newId.split(".")[1],
        );
        await subject.store.remove(newId, newIndex);
      }
    });

    it("has the principal index and admin capabilities, found by their guards", () => {
      expect(isPrincipalIndexStore(subject.store)).toBe(true);
      expect(isAdminStore(subject.store)).toBe(true);
    });

    it("admin: scans every session's keyId, and inspects a record with its TTL", async () => {
      const plain = key();
      const tag = `A${String(counter++).padStart(6, "0")}`;
      const tagged = `${tag}.admin-${Date.now()}`;
      for (const id of [plain, tagged]) {
        await subject.store.write(id, {
          mode: "create",
          set: [...meta, ["user", '"ann"']],
          remove: [],
          ttlMs: 60_000,
        });
      }
      const seen = new Set<string>();
      for await (const batch of subject.store.scanKeyIds()) for (const keyId of batch) seen.add(keyId);
      expect(seen).toContain(plain);
      expect(seen).toContain(tagged);
      for (const id of [plain, tagged]) {
        const inspected = await subject.store.inspect(id);
        expect(inspected.keyId).toBe(id);
        expect(inspected.ttlMs).toBeGreaterThan(50_000);
        expect(inspected.ttlMs).toBeLessThanOrEqual(60_000);
        expect(inspected.fields).toEqual({ $c: "1", user: '"ann"' });
        expect(inspected.location).toContain(id.split(".").pop());
      }
      const missing = await subject.store.inspect(key());
      expect(missing.ttlMs).toBe(-2);
      expect(missing.fields).toBeNull();
    });

    it("applies concurrent updates of different fields without losing either", async () => {
      const k = key();
      await subject.store.write(k, { mode: "create", set: meta, remove: [], ttlMs: 60_000 });
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          subject.store.write(k, { mode: "update", set: [[`p${i}`, String(i)]], remove: [], ttlMs: 60_000 }),
        ),
      );
      const loaded = (await loadFields(subject.store, k)) ?? {};
      for (let i = 0; i < 50; i++) expect(loaded[`p${i}`]).toBe(String(i));
    });
  });
}
