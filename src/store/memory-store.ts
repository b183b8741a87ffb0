import { indexHandleOf, keyIdOfHandle } from "../session/session-id.js";
import type {
  IndexedSession,
  RevokeOptions,
  SessionStore,
  SessionWrite,
  StoredRecord,
  WriteOutcome,
} from "./session-store.js";

interface MemoryRecord {
  fields: Map<string, string>;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** How often expired records are swept, in ms (they are also dropped when read). Default 60 000. */
  sweepIntervalMs?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

/**
 * The same semantics as RedisStore (TTL on every record, create/update/gone, no resurrection) in process
 * memory: for app unit tests and development. Not shared between processes, lost on restart.
 */
export class MemoryStore implements SessionStore {
  readonly #records = new Map<string, MemoryRecord>();
  /** indexId -> member (key hash without tag) -> deadline, like the Redis ZSET. */
  readonly #indexes = new Map<string, Map<string, number>>();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 60_000);
    this.#sweeper.unref();
  }

  /** Number of live records: for tests and the demo. */
  get size(): number {
    this.#sweep();
    return this.#records.size;
  }

  async load(keyHash: string): Promise<StoredRecord | null> {
    const record = this.#live(keyHash);
    return record ? new Map(record.fields) : null;
  }

  async write(keyHash: string, write: SessionWrite): Promise<WriteOutcome> {
    let record = this.#live(keyHash);
    if (write.mode === "update" && !record) return "gone";
    if (write.mode === "create" && record) return "exists";
    record ??= { fields: new Map(), expiresAt: 0 };
    for (const [field, value] of write.set) record.fields.set(field, value);
    for (const field of write.remove) record.fields.delete(field);
    record.expiresAt = this.#now() + Math.max(1, Math.ceil(write.ttlMs));
    this.#records.set(keyHash, record);
    if (write.index) {
      const index = this.#indexes.get(write.index.indexId) ?? new Map<string, number>();
      index.set(indexHandleOf(keyHash), write.index.deadline);
      this.#indexes.set(write.index.indexId, index);
    }
    return "written";
  }

  async remove(keyHash: string, indexId?: string): Promise<void> {
    this.#records.delete(keyHash);
    if (indexId !== undefined) this.#indexes.get(indexId)?.delete(indexHandleOf(keyHash));
  }

  async listIndexed(indexId: string, now: number, idleTimeoutMs: number): Promise<IndexedSession[]> {
    const index = this.#indexes.get(indexId);
    const live: IndexedSession[] = [];
    for (const member of index?.keys() ?? []) {
      const fields = this.#live(keyIdOfHandle(indexId, member))?.fields;
      const deadline = Math.min(Number(fields?.get("$a")) + idleTimeoutMs, Number(fields?.get("$x")));
      if (fields && deadline > now) live.push({ handle: member, fields: Object.fromEntries(fields) });
      else index?.delete(member);
    }
    return live;
  }

  async revokeIndexed(indexId: string, options: RevokeOptions): Promise<IndexedSession[]> {
    const index = this.#indexes.get(indexId);
    const targets = options.handles ?? [...(index?.keys() ?? [])];
    const revoked: IndexedSession[] = [];
    for (const member of targets) {
      if (member === options.keep || !index?.has(member)) continue;
      const keyId = keyIdOfHandle(indexId, member);
      const record = this.#live(keyId);
      if (record)
        revoked.push({ handle: member, fields: options.withFields ? Object.fromEntries(record.fields) : {} });
      this.#records.delete(keyId);
      index.delete(member);
    }
    return revoked;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  /** Remaining time to live in ms, or -2 when there is no record (as Redis PTTL answers). */
  ttlMs(keyHash: string): number {
    const record = this.#live(keyHash);
    return record ? record.expiresAt - this.#now() : -2;
  }

  #live(keyHash: string): MemoryRecord | undefined {
    const record = this.#records.get(keyHash);
    if (record && record.expiresAt <= this.#now()) {
      this.#records.delete(keyHash);
      return undefined;
    }
    return record;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [keyHash, record] of this.#records) if (record.expiresAt <= now) this.#records.delete(keyHash);
  }
}

export function createMemoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options);
}
