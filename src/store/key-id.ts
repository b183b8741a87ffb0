/**
 * A session's keyId names it in the store: "<hash>", or "<tag>.<hash>" for a session of a principal (the
 * tag is the principal's Redis Cluster slot tag: session/session-id.ts). Its handle is the hash alone:
 * what the principal's index holds and what users see ("your devices", the CLI), useless as a cookie.
 * A principal's indexId is "<tag>.<hash of the principal>".
 */

/** The handle of a session: the hash part of its keyId (the tag is its principal index's). */
export function handleOf(keyId: string): string {
  return keyId.slice(keyId.indexOf(".") + 1);
}

/** The keyId of the session behind `handle` in the principal index `indexId`. */
export function keyIdOfHandle(indexId: string, handle: string): string {
  return `${indexId.slice(0, indexId.indexOf("."))}.${handle}`;
}

/**
 * What a session's Redis Cluster hash tag holds: its principal's slot tag, or its hash when it has none.
 * Two sessions with the same tag live in one slot.
 */
export function slotTagOf(keyId: string): string {
  const dot = keyId.indexOf(".");
  return dot === -1 ? keyId : keyId.slice(0, dot);
}
