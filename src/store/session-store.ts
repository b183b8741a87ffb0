/**
 * The storage seam: a small interface over hashed keys and already-encoded fields, so a store knows
 * nothing about cookies, codecs or deadlines. RedisStore and MemoryStore implement it and pass one
 * contract suite (test/store-contract.ts).
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
  /** The principal's index to add the session to, in the same atomic write (sessions of a principal). */
  index?: { indexId: string; deadline: number };
}

/** A live session of a principal, as its index lists it. */
export interface IndexedSession {
  /** The session's key hash (without slot tag): an opaque handle, useless as a cookie. */
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

/** "gone": an update found no record (destroyed or expired meanwhile); "exists": a create found one. */
export type WriteOutcome = "written" | "gone" | "exists";

export interface SessionStore {
  /**
   * One round trip. Returns null when no record exists, and an empty map when something unreadable sits
   * under the key (the manager treats that and missing metadata as a corrupt record and removes it).
   */
  load(keyHash: string): Promise<StoredRecord | null>;
  /** Applies the whole write atomically, data and TTL together, in one round trip. */
  write(keyHash: string, write: SessionWrite): Promise<WriteOutcome>;
  /** Deletes the record, and its entry in the principal's index when `indexId` is given. */
  remove(keyHash: string, indexId?: string): Promise<void>;
  /** A principal's live sessions; entries of sessions that ended are pruned from the index as it reads. */
  listIndexed(indexId: string, now: number, idleTimeoutMs: number): Promise<IndexedSession[]>;
  /** Deletes sessions of a principal atomically with respect to its logins; answers what it removed. */
  revokeIndexed(indexId: string, options: RevokeOptions): Promise<IndexedSession[]>;
  /** Releases connections the store opened itself; a client handed in by the app stays open. */
  close(): Promise<void>;
}
