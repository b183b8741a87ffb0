/**
 * The storage seam: a small port over keyIds and already-encoded fields, so a store knows nothing about
 * cookies, codecs or deadlines beyond store/record-meta.ts. What only some stores can do is an optional
 * capability, found with a guard (never `instanceof`): the principal index and the admin view here; the
 * event log needs Redis itself (redis/redis-session-store.ts `isRedisBackedStore`). RedisSessionStore
 * and MemoryStore implement every capability and pass one contract suite (test/contracts/).
 */

/** The fields of one stored session record, as strings. */
export type StoredFields = Record<string, string>;

/** A loaded session record: field -> value, in stored order. */
export type StoredRecord = ReadonlyMap<string, string>;

export interface SessionWrite {
  /**
   * "create" writes a new record; "update" applies the change only when the record still exists, so a
   * write racing a logout or an expiry never brings the session back (DESIGN rule 3).
   */
  mode: "create" | "update";
  /** Fields to set, as name/value pairs. */
  set: ReadonlyArray<readonly [string, string]>;
  /** Fields to delete. */
  remove: readonly string[];
  /** New time to live of the whole record, always > 0: no record ever lives without a TTL (rule 1). */
  ttlMs: number;
  /**
   * The principal's index to add the session to, in the same atomic write. Only sent to a store with
   * the principal index capability (the manager refuses setPrincipal otherwise).
   */
  index?: { indexId: string; deadline: number };
  /**
   * With "create" only: the stored record this one replaces (a rotation of its ID: regenerate,
   * setPrincipal), deleted with its index entry once the new record is written (rule 15). A create that
   * fails leaves it exactly as it was. Atomic in one script where both live in one Redis Cluster slot
   * (always outside a cluster); across slots the replaced record is deleted right after the create.
   */
  replaces?: { keyId: string; indexId?: string };
}

/** "gone": an update found no record (destroyed or expired meanwhile); "exists": a create found one. */
export type WriteOutcome = "written" | "gone" | "exists";

export interface SessionStore {
  /**
   * One round trip. Returns null when no record exists, and an empty map when something unreadable sits
   * under the key (the manager treats that and missing metadata as a corrupt record and removes it).
   */
  load(keyId: string): Promise<StoredRecord | null>;
  /** Applies the whole write atomically, data and TTL together, in one round trip. */
  write(keyId: string, write: SessionWrite): Promise<WriteOutcome>;
  /** Deletes the record, and its entry in the principal's index when `indexId` is given. */
  remove(keyId: string, indexId?: string): Promise<void>;
  /** Releases connections the store opened itself; a client handed in by the app stays open. */
  close(): Promise<void>;
}

/** A live session of a principal, as its index lists it. */
export interface IndexedSession {
  /** The session's handle (store/key-id.ts): its hash without the slot tag, useless as a cookie. */
  handle: string;
  fields: StoredFields;
}

export interface RevokeOptions {
  /** Handles to revoke; all of the principal's sessions when absent. */
  handles?: readonly string[];
  /** A handle to keep (the current session, for "log out my other devices"). */
  keep?: string;
  /** Return the revoked sessions' fields (for events that carry the last data). */
  withFields?: boolean;
}

/** Capability: a principal's sessions, indexed as they are written (`SessionWrite.index`). */
export interface PrincipalIndexStore extends SessionStore {
  /** A principal's live sessions; entries of sessions that ended are pruned from the index as it reads. */
  listIndexed(indexId: string, now: number, idleTimeoutMs: number): Promise<IndexedSession[]>;
  /** Deletes sessions of a principal atomically with respect to its logins; answers what it removed. */
  revokeIndexed(indexId: string, options: RevokeOptions): Promise<IndexedSession[]>;
}

/** One stored session as an operator sees it. */
export interface InspectedSession {
  keyId: string;
  /** Where it lives (the Redis key, or a description for a store without keys). */
  location: string;
  /** Remaining time to live in ms; -2 when there is no record (as Redis PTTL answers). */
  ttlMs: number;
  /** Its fields, or null when there is no record or it does not unpack. */
  fields: StoredFields | null;
}

/** Capability: what operators (CLI, dashboard, demo) read, without building keys or clients themselves. */
export interface AdminStore extends SessionStore {
  /** The keyId of every session of this store's namespace, in batches; a keyId may come twice (SCAN). */
  scanKeyIds(batchSize?: number): AsyncGenerator<string[]>;
  inspect(keyId: string): Promise<InspectedSession>;
}

/** Capability: a store that can check, before the first request, that it can serve sessions. */
export interface ReadyCheckStore extends SessionStore {
  /**
   * Connects, authenticates, runs every command the request path needs (on a probe key with a short TTL)
   * and checks the server's settings; rejects with the error requests would get (its code names the cause).
   */
  ready(): Promise<unknown>;
}

export function isReadyCheckStore(store: SessionStore): store is ReadyCheckStore {
  return typeof (store as Partial<ReadyCheckStore>).ready === "function";
}

export function isPrincipalIndexStore(store: SessionStore): store is PrincipalIndexStore {
  const candidate = store as Partial<PrincipalIndexStore>;
  return typeof candidate.listIndexed === "function" && typeof candidate.revokeIndexed === "function";
}

export function isAdminStore(store: SessionStore): store is AdminStore {
  const candidate = store as Partial<AdminStore>;
  return typeof candidate.scanKeyIds === "function" && typeof candidate.inspect === "function";
}
