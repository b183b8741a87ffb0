/**
 * The storage seam: a small interface over hashed keys and already-encoded fields, so a store knows
 * nothing about cookies, codecs or deadlines. RedisStore and MemoryStore implement it and pass one
 * contract suite (test/store-contract.ts).
 */

/** The fields of one stored session record, as strings (a Redis hash). */
export type StoredFields = Record<string, string>;

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
}

/** "gone": an update found no record (destroyed or expired meanwhile); "exists": a create found one. */
export type WriteOutcome = "written" | "gone" | "exists";

export interface SessionStore {
  /**
   * One round trip. Returns null when no record exists, and {} when something unreadable sits under the
   * key (the manager treats both {} and missing metadata as a corrupt record and removes it).
   */
  load(keyHash: string): Promise<StoredFields | null>;
  /** Applies the whole write atomically, data and TTL together, in one round trip. */
  write(keyHash: string, write: SessionWrite): Promise<WriteOutcome>;
  remove(keyHash: string): Promise<void>;
  /** Releases connections the store opened itself; a client handed in by the app stays open. */
  close(): Promise<void>;
}
