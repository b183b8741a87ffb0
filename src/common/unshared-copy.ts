/**
 * A copy of `text` that shares no memory with the string it was cut from. V8 makes a slice of 13 or more
 * characters a view into its parent string, and the view keeps the whole parent alive: a MAC cut from a
 * Cookie header kept the header (the session cookie, and every other cookie of that request) alive for
 * as long as the cache held the MAC, where a heap snapshot could read it (rule 6). Whatever a long-lived
 * structure keeps from a request or a Redis reply goes through this. Not for hot paths: it allocates.
 */
export function unsharedCopy(text: string): string {
  // latin1 keeps a one-byte string at one byte a character; utf16le round-trips any string exactly.
  const encoding = isOneByte(text) ? "latin1" : "utf16le";
  return Buffer.from(text, encoding).toString(encoding);
}

function isOneByte(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}
