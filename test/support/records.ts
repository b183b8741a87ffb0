import { packRecord, unpackRecord } from "../../src/redis/packed-record.js";
import { unsealed } from "../../src/session/session-record.js";
import type { StoredFields } from "../../src/store/session-store.js";

interface StringReader {
  get(key: string): Promise<string | null>;
}

/** A session record's fields as the store reads them (null: no key); throws when it does not unpack. */
export async function readRecord(redis: StringReader, key: string): Promise<StoredFields | null> {
  const packed = await redis.get(key);
  if (packed === null) return null;
  const fields = unpackRecord(packed);
  if (fields === null) throw new Error(`${key} does not hold a packed session record`);
  return fields;
}

/** Long attribute values are stored behind a seal (src/session/session-record.ts); metadata never. */
const isAttributeField = (field: string) => !field.startsWith("$") || field.startsWith("$$");

/** One stored field of a session record (undefined when absent); an attribute's value without its seal. */
export async function readField(
  redis: StringReader,
  key: string,
  field: string,
): Promise<string | undefined> {
  const value = (await readRecord(redis, key))?.[field];
  return value !== undefined && isAttributeField(field) ? unsealed(value) : value;
}

interface StringWriter extends StringReader {
  set(key: string, value: string, keepTtl: "KEEPTTL"): Promise<unknown>;
}

/** Rewrites a session record behind the store's back (for corruption tests), keeping its TTL. */
export async function rewriteRecord(
  redis: StringWriter,
  key: string,
  change: (fields: StoredFields) => StoredFields,
): Promise<void> {
  const fields = await readRecord(redis, key);
  if (fields === null) throw new Error(`no record under ${key}`);
  await redis.set(key, packRecord(change(fields)), "KEEPTTL");
}
