import type { SessionTimes } from "../store/record-meta.js";
import type { MigrationState } from "./migration.js";
import type { Session } from "./session.js";
import { principalIndexId } from "./session-id.js";
import type { CookieKind } from "./session-record.js";
import type { CommitTrace } from "./session-tracing.js";

export interface SessionMeta {
  /** What the Redis key holds for this session (a hash of its ID, maybe behind a slot tag); safe to log. */
  keyId: string;
  /** @deprecated The same value as keyId (its name before 0.2). */
  keyHash: string;
  /** Set by setPrincipal (usually the user ID); indexes the session under it. */
  principal: string | undefined;
  isNew: boolean;
  createdAt: number;
  lastAccessAt: number;
  idleDeadline: number;
  absoluteDeadline: number;
}

/** Operations the session delegates to its manager; implemented by SessionManager. */
export interface SessionBackend {
  regenerate(session: Session, keepData: boolean): Promise<void>;
  setPrincipal(session: Session, principal: string): Promise<void>;
  destroy(session: Session): Promise<void>;
  save(session: Session): Promise<void>;
  reload(session: Session): Promise<void>;
  meta(session: Session): SessionMeta;
  /** What `session.cookie` reads and sets: this session's cookie and its own lifetime. */
  cookieView(session: Session): SessionCookieView;
}

/** `session.cookie`: the session's cookie as express-session apps know it (session/session-cookie-view.ts). */
export interface SessionCookieView {
  maxAge: number | null;
  expires: Date | null;
  readonly originalMaxAge: number | null;
  readonly path: string;
  readonly domain: string | undefined;
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: "lax" | "strict" | "none";
}

/** User-Agent and IP of the request that created a session, when index.recordDevice is on. */
export interface SessionDevice {
  readonly userAgent?: string;
  readonly ip?: string;
}

export interface SessionState {
  backend: SessionBackend;
  /** The secret session ID; never logged, never stored in Redis. */
  id: string;
  /** What names the session in the store (store/key-id.ts). */
  keyId: string;
  isNew: boolean;
  times: SessionTimes;
  principal: string | undefined;
  /** The session chose its cookie's kind (cookie.maxAge); undefined: the cookie option decides. */
  cookieKind: CookieKind | undefined;
  /** The session's own lifetime (idle timeout, cookie kind) changed: the next write stores it. */
  lifetimeChanged: boolean;
  /** The keyId before a regenerate, until the new record is written (for the "regenerated" event). */
  previousKeyId: string | undefined;
  /**
   * The stored record a rotation (regenerate, setPrincipal) replaces: deleted by the commit that writes
   * the new one, in the same script (rule 15), so a login that fails leaves the old session as it was.
   */
  replaces: { keyId: string; indexId: string | undefined } | undefined;
  device: SessionDevice;
  /** Attribute -> encoded value as the store holds it now: the base that changes are computed against. */
  storedEncoded: Map<string, string>;
  destroyed: boolean;
  /** A stored value failed to decode when first read: no session (rule 8); the commit removes the record. */
  corrupt: boolean;
  /** The last recorded activity is older than touchAfter: the next commit slides it. */
  touchDue: boolean;
  /** The response must carry a new Set-Cookie (new ID, old secret, slid deadline). */
  cookieDue: boolean;
  /**
   * The response may delete the browser's session cookie when no session is kept: the request's cookie
   * was invalid, or this request ended the session it names (destroy, or a regenerate with nothing to
   * keep). A cookie whose session is merely gone (rotated by another request, revoked, expired) is left
   * alone: a slow request must not delete the cookie of a login that overtook it (rule 16).
   */
  clearableCookie: boolean;
  /**
   * Set when the session was served under the fail-open policy because Redis failed (the store's error):
   * reads go on anonymously, but a change, regenerate or destroy fails with this error.
   */
  storeFailure: unknown;
  secureRequest: boolean;
  /** Serialises commits: save() and the end-of-request commit never overlap (undefined: none yet). */
  commitChain: Promise<unknown> | undefined;
  /** The `sessionkit:commit` trace of the commit running now, when a subscriber listens. */
  trace: CommitTrace | undefined;
  /** The legacy side of a session while a migration runs (session/migration.ts). */
  migration?: MigrationState;
}

/** The device of a loaded session: none (shared: the device is recorded at creation, never read back). */
const NO_DEVICE: SessionDevice = Object.freeze({});

/** The state of a session that is not stored yet. */
export function newSessionState(init: {
  backend: SessionBackend;
  id: string;
  keyId: string;
  times: SessionTimes;
  device: SessionDevice;
  clearableCookie: boolean;
  secureRequest: boolean;
  storeFailure?: unknown;
}): SessionState {
  return {
    backend: init.backend,
    id: init.id,
    keyId: init.keyId,
    isNew: true,
    times: init.times,
    principal: undefined,
    cookieKind: undefined,
    lifetimeChanged: false,
    previousKeyId: undefined,
    replaces: undefined,
    device: init.device,
    storedEncoded: new Map(),
    destroyed: false,
    corrupt: false,
    touchDue: false,
    cookieDue: false,
    clearableCookie: init.clearableCookie,
    storeFailure: init.storeFailure,
    secureRequest: init.secureRequest,
    commitChain: undefined,
    trace: undefined,
  };
}

/** The state of a session loaded from its record. */
export function loadedSessionState(init: {
  backend: SessionBackend;
  id: string;
  keyId: string;
  times: SessionTimes;
  principal: string | undefined;
  cookieKind?: CookieKind;
  storedEncoded: Map<string, string>;
  touchDue: boolean;
  cookieDue: boolean;
  secureRequest: boolean;
}): SessionState {
  return {
    backend: init.backend,
    id: init.id,
    keyId: init.keyId,
    isNew: false,
    times: init.times,
    principal: init.principal,
    cookieKind: init.cookieKind,
    lifetimeChanged: false,
    previousKeyId: undefined,
    replaces: undefined,
    device: NO_DEVICE,
    storedEncoded: init.storedEncoded,
    destroyed: false,
    corrupt: false,
    touchDue: init.touchDue,
    cookieDue: init.cookieDue,
    clearableCookie: false,
    storeFailure: undefined,
    secureRequest: init.secureRequest,
    commitChain: undefined,
    trace: undefined,
  };
}

/** A loaded session with no write or cookie due apart from its attributes' changes. */
export function isQuietRead(state: SessionState): boolean {
  return (
    !state.isNew &&
    !state.destroyed &&
    !state.touchDue &&
    !state.cookieDue &&
    state.storeFailure === undefined
  );
}

/** The principal index a session is listed in (none for an anonymous one). */
export function indexIdOf(state: SessionState): string | undefined {
  return state.principal === undefined ? undefined : principalIndexId(state.principal);
}

/**
 * The times of a session that starts now: its absolute deadline runs from here, and is never later than
 * `endsBy` (an imported session's legacy expiry).
 */
export function startTimes(
  now: number,
  absoluteTimeoutMs: number,
  endsBy = Number.POSITIVE_INFINITY,
): SessionTimes {
  return { createdAt: now, lastAccessAt: now, absoluteDeadline: Math.min(now + absoluteTimeoutMs, endsBy) };
}
