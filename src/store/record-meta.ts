/**
 * What every store may read of a session record besides opaque attribute values: the metadata fields and
 * the session's deadline. It sits in the store layer so that stores (the principal index prunes ended
 * sessions) and the session layer share one copy. The Lua scripts that decide the same thing inside Redis
 * (redis/session-scripts.ts, events/event-scripts.ts) are checked against sessionDeadline and
 * expiryOf by test/integration/deadline-formula.test.ts.
 *
 * Metadata fields start with "$"; an attribute whose name starts with "$" is stored with one more "$"
 * (session/session-record.ts), so the two never collide.
 */
export const MetaField = {
  createdAt: "$c",
  lastAccessAt: "$a",
  absoluteDeadline: "$x",
  principal: "$p",
  userAgent: "$ua",
  ip: "$ip",
  /** This session's own idle timeout in ms ("remember me"); absent: the manager's idleTimeout. */
  idleTimeout: "$i",
  /** This session's cookie kind: "p" persistent, "b" browser-session; absent: the cookie option. */
  cookieKind: "$k",
} as const;

export interface SessionTimes {
  /** Epoch ms when the session was created (regenerate keeps it: the absolute deadline does not move). */
  createdAt: number;
  /** Epoch ms of the last recorded activity; only moves once per `touchAfter`. */
  lastAccessAt: number;
  /** Epoch ms after which the session is over, however active it is. */
  absoluteDeadline: number;
  /** This session's own idle timeout ("remember me"), when it has one. */
  idleTimeoutMs?: number;
}

type Deadlines = Pick<SessionTimes, "lastAccessAt" | "absoluteDeadline" | "idleTimeoutMs">;

/**
 * Epoch ms when the session is idle past its own idle timeout, or `idleTimeoutMs` (the manager's) when
 * it has none.
 */
export function idleDeadline(times: Deadlines, idleTimeoutMs: number): number {
  return times.lastAccessAt + (times.idleTimeoutMs ?? idleTimeoutMs);
}

/** Epoch ms when the session ends: the earlier of its idle and absolute deadlines. */
export function sessionDeadline(times: Deadlines, idleTimeoutMs: number): number {
  return Math.min(idleDeadline(times, idleTimeoutMs), times.absoluteDeadline);
}

/**
 * Why the session has ended at `now`, or null while it lives (up to, not including, its deadline). When
 * both deadlines have passed, the one that came first is the reason.
 */
export function expiryOf(times: Deadlines, idleTimeoutMs: number, now: number): "idle" | "absolute" | null {
  if (now < sessionDeadline(times, idleTimeoutMs)) return null;
  return times.absoluteDeadline <= idleDeadline(times, idleTimeoutMs) ? "absolute" : "idle";
}
