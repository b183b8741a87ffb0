/* >>> NOTE TO HELPER-4 from the engineer who started you (leave the code below, delete this banner): I changed
 * the core (uncommitted, same working tree): attribute values are now stored SEALED: 8 hex digits of a
 * CRC-32 of the encoded value, then the value (src/core/session-record.ts ValueSeal; checked at load, so
 * values can be decoded lazily on first access while a corrupt record is still found at load, rule 8).
 * Metadata fields ($c $a $x $p $ua $ip) are not sealed. readField/readRecord below now strip the seal of
 * attribute fields (names not starting with a single "$"), so tests see the encoded JSON as before; a test
 * that writes a corrupt attribute value by hand still gets "corrupt record" (the seal fails). If one of
 * your tests fails with a "caf8b9aa{..." style value, that is this change, not yours.
 */
import { packRecord, unpackRecord } from "../../src/store/packed-record.js";
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

/** Attribute values are stored behind an 8-digit seal (src/core/session-record.ts); metadata is not. */
const SEAL_LENGTH = 8;
const isAttributeField = (field: string) => !field.startsWith("$") || field.startsWith("$$");

/** One stored field of a session record (undefined when absent); an attribute's value without its seal. */
export async function readField(
  redis: StringReader,
  key: string,
  field: string,
): Promise<string | undefined> {
  const value = (await readRecord(redis, key))?.[field];
  return value !== undefined && isAttributeField(field) ? value.slice(SEAL_LENGTH) : value;
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
