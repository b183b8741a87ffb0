import { CookieSigner } from "../session/cookies/cookie-signer.js";
import { isWellFormedSessionId, principalIndexId, sessionKeyId } from "../session/session-id.js";
import { keyIdOfHandle } from "../store/key-id.js";

/**
 * What an operator may name a session by, turned into its keyId. A session ID or a cookie never leaves
 * this function: only the keyId (a hash) does.
 *
 *   a Redis key          sk:default:s:{<tag>}<hash>  -> "<tag>.<hash>"
 *   a cookie value       <id>.<mac>                  -> verified with the secret, then hashed
 *   a session ID         <43 chars> or <tag>.<43>     -> hashed (whoever has it holds the session anyway)
 *   a handle             <22 chars>                  -> "<handle>" for a session without a principal, or
 *                                                       "<tag>.<handle>" with `principal`; otherwise the
 *                                                       caller has to search (findHandle)
 */
export type SessionTarget =
  | { kind: "keyId"; keyId: string }
  | { kind: "handle"; handle: string }
  | { kind: "invalid"; reason: string };

const HANDLE = /^[A-Za-z0-9_-]{22}$/;

export interface TargetContext {
  keyIdOfSessionKey(key: string): string | undefined;
  /** The app's secret(s), to verify a cookie value. */
  secret?: string | readonly string[];
  /** The principal the handle belongs to, when known: no search needed. */
  principal?: string;
}

export function parseSessionTarget(input: string, context: TargetContext): SessionTarget {
  const text = input.trim();
  const fromKey = context.keyIdOfSessionKey(text);
  if (fromKey !== undefined) return { kind: "keyId", keyId: fromKey };
  if (HANDLE.test(text)) {
    return context.principal === undefined
      ? { kind: "handle", handle: text }
      : { kind: "keyId", keyId: keyIdOfHandle(principalIndexId(context.principal), text) };
  }
  if (isWellFormedSessionId(text)) return { kind: "keyId", keyId: sessionKeyId(text) };
  // A cookie value, possibly still URL-encoded as a browser's developer tools show it.
  const cookie = safeDecode(text);
  if (cookie.lastIndexOf(".") > 0 && isWellFormedSessionId(cookie.slice(0, cookie.lastIndexOf(".")))) {
    if (context.secret === undefined) {
      return {
        kind: "invalid",
        reason: "a cookie value is checked with the app's secret: give --secret (or SESSIONKIT_SECRET)",
      };
    }
    const unsigned = new CookieSigner(context.secret).unsign(cookie);
    if (unsigned === null || !isWellFormedSessionId(unsigned.value)) {
      return {
        kind: "invalid",
        reason: "the cookie does not verify with the given secret(s): tampered, truncated, or another app's",
      };
    }
    return { kind: "keyId", keyId: sessionKeyId(unsigned.value) };
  }
  return {
    kind: "invalid",
    reason:
      "not a session: give a cookie value, a session ID, a handle (22 characters) or a session's Redis key",
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
