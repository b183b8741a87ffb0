import { handleOf, keyIdOfHandle } from "./key-id.js";
import { MetaField, sessionDeadline } from "./record-meta.js";
import type {
  AdminStore,
  IndexedSession,
  InspectedSession,
  PrincipalIndexStore,
  RevokeOptions,
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
 * The same semantics as RedisSessionStore (TTL on every record, create/update/gone, no resurrection) in process
 * memory: for app unit tests and development. Not shared between processes, lost on restart.
 */
export class MemoryStore implements PrincipalIndexStore, AdminStore {
  readonly #records = new Map<string, MemoryRecord>();
  /** indexId -> handle -> deadline, like the Redis ZSET. */
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

  async load(keyId: string): Promise<StoredRecord | null> {
    const record = this.#live(keyId);
    return record ? new Map(record.fields) : null;
  }

  async write(keyId: string, write: SessionWrite): Promise<WriteOutcome> {
    let record = this.#live(keyId);
    if (write.mode === "update" && !record) return "gone";
    if (write.mode === "create" && record) return "exists";
    record ??= { fields: new Map(), expiresAt: 0 };
    for (const [field, value] of write.set) record.fields.set(field, value);
    for (const field of write.remove) record.fields.delete(field);
    record.expiresAt = this.#now() + Math.max(1, Math.ceil(write.ttlMs));
    this.#records.set(keyId, record);
    if (write.index) {
      const index = this.#indexes.get(write.index.indexId) ?? new Map<string, number>();
      index.set(handleOf(keyId), write.index.deadline);
      this.#indexes.set(write.index.indexId, index);
    }
    if (write.mode === "create" && write.replaces)
      await this.remove(write.replaces.keyId, write.replaces.indexId);
    return "written";
  }

  async remove(keyId: string, indexId?: string): Promise<void> {
    this.#records.delete(keyId);
    if (indexId !== undefined) this.#indexes.get(indexId)?.delete(handleOf(keyId));
  }

  async listIndexed(indexId: string, now: number, idleTimeoutMs: number): Promise<IndexedSession[]> {
    const index = this.#indexes.get(indexId);
    const live: IndexedSession[] = [];
    for (const member of index?.keys() ?? []) {
      const fields = this.#live(keyIdOfHandle(indexId, member))?.fields;
      const times = {
        lastAccessAt: Number(fields?.get(MetaField.lastAccessAt)),
        absoluteDeadline: Number(fields?.get(MetaField.absoluteDeadline)),
        ...ownIdleTimeout(fields?.get(MetaField.idleTimeout)),
      };
      if (fields && sessionDeadline(times, idleTimeoutMs) > now)
        live.push({ handle: member, fields: Object.fromEntries(fields) });
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

  async *scanKeyIds(): AsyncGenerator<string[]> {
    this.#sweep();
    yield [...this.#records.keys()];
  }

  async inspect(keyId: string): Promise<InspectedSession> {
    const record = this.#live(keyId);
    return {
      keyId,
      location: `memory:${keyId}`,
      ttlMs: this.ttlMs(keyId),
      fields: record ? Object.fromEntries(record.fields) : null,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  /** Remaining time to live in ms, or -2 when there is no record (as Redis PTTL answers). */
  ttlMs(keyId: string): number {
    const record = this.#live(keyId);
    return record ? record.expiresAt - this.#now() : -2;
  }

  #live(keyId: string): MemoryRecord | undefined {
    const record = this.#records.get(keyId);
    if (record && record.expiresAt <= this.#now()) {
      this.#records.delete(keyId);
      return undefined;
    }
    return record;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [keyId, record] of this.#records) if (record.expiresAt <= now) this.#records.delete(keyId);
  }
}

export function createMemoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options);
}

/** A session's own idle timeout field as SessionTimes holds it. */
function ownIdleTimeout(field: string | undefined): { idleTimeoutMs?: number } {
  return field === undefined ? {} : { idleTimeoutMs: Number(field) };
}
