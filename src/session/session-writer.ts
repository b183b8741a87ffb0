import { ErrorCodes, SessionError } from "../common/errors.js";
import { MetaField, type SessionTimes, sessionDeadline } from "../store/record-meta.js";
import type { SessionStore, SessionWrite, WriteOutcome } from "../store/session-store.js";
import { type ChangeSet, NO_CHANGES } from "./change-set.js";
import type { NewSessionEvent, SessionEventLog } from "./session-events.js";
import { diagnose, removeQuietly } from "./session-loader.js";
import type { SessionConfig } from "./session-options.js";
import { cookieKindField, timesToFields } from "./session-record.js";
import { indexIdOf, type SessionState } from "./session-state.js";
import { type CommitTrace, noteCommand } from "./session-tracing.js";

/**
 * The writes of a commit: a new record (and the one a rotation replaces, in the same script), a change,
 * an activity touch, and the ends of a session (corrupt, replaced). Answers the Set-Cookie the response
 * must carry. SessionManager decides what to commit; this decides how it lands in the store.
 */
export class SessionWriter {
  readonly #config: SessionConfig;
  readonly store: SessionStore;
  readonly events: SessionEventLog | undefined;
  readonly cookie: SessionConfig["cookies"]["options"];

  constructor(config: SessionConfig, store: SessionStore, events: SessionEventLog | undefined) {
    this.#config = config;
    this.store = store;
    this.events = events;
    this.cookie = config.cookies.options;
  }

  /** Writes a loaded or new session's changes (not destroyed, not corrupt). */
  async write(state: SessionState, changes: ChangeSet): Promise<string | undefined> {
    const { set, remove } = changes;
    if (state.storeFailure !== undefined) {
      // Fail-open serves reads anonymously, but a change (a login) that cannot be stored must not look
      // as if it succeeded: the request fails as it would under fail-closed.
      if (set.length > 0 || remove.length > 0 || state.cookieDue) throw state.storeFailure;
      return undefined;
    }
    const now = this.#config.now();
    if (state.isNew) return this.create(state, changes, now);
    if (set.length === 0 && remove.length === 0 && !state.touchDue) {
      return state.cookieDue ? this.sessionCookie(state, now) : undefined;
    }
    // Any write records activity: the idle deadline, the TTL and a persistent cookie slide together.
    const before = state.times.lastAccessAt;
    state.times.lastAccessAt = now;
    if (this.remainingMs(state.times, now) <= 0) {
      // Ended by its deadline, not by this request: the cookie is left alone (rule 16).
      noteCommand(state.trace, "session delete");
      await removeQuietly(this.store, state.keyId);
      state.destroyed = true;
      return undefined;
    }
    const lifetimeChanged = state.lifetimeChanged;
    if (state.trace) {
      state.trace.kind = set.length > 0 || remove.length > 0 || lifetimeChanged ? "update" : "touch";
      state.trace.commands.push("session write");
    }
    let outcome: WriteOutcome;
    try {
      outcome = await this.store.write(state.keyId, {
        mode: "update",
        set: [
          ...set,
          [MetaField.lastAccessAt, String(now)],
          ...(lifetimeChanged ? lifetimeFields(state) : []),
        ],
        remove:
          lifetimeChanged && state.times.idleTimeoutMs === undefined
            ? [...remove, MetaField.idleTimeout]
            : remove,
        ...this.lifetime(state, now),
      });
    } catch (error) {
      // A write that only records activity (touchAfter has passed) is not the request's to fail (rule 18):
      // the response goes out as it is, and the next request tries again.
      if (set.length > 0 || remove.length > 0 || lifetimeChanged) throw error;
      state.times.lastAccessAt = before;
      diagnose(
        this.#config,
        "SESSION_TOUCH_FAILED",
        `activity not recorded, the response goes on: ${(error as Error).message}`,
        state.keyId,
      );
      return state.cookieDue ? this.sessionCookie(state, now) : undefined;
    }
    if (outcome === "gone") {
      // Destroyed (logout elsewhere) or expired while this request ran: do not bring it back.
      diagnose(
        this.#config,
        "SESSION_GONE_BEFORE_COMMIT",
        "session ended before this request's changes were written; changes dropped",
        state.keyId,
      );
      state.destroyed = true;
      // Not ended by this request: the browser's cookie may already be a newer login's (rule 16).
      return undefined;
    }
    if (changes !== NO_CHANGES) state.storedEncoded = changes.encoded;
    state.touchDue = false;
    state.lifetimeChanged = false;
    if (this.#persistentCookie(state)) state.cookieDue = true;
    return state.cookieDue ? this.sessionCookie(state, now) : undefined;
  }

  /** The first write of a session (new, or under a new ID after a rotation). */
  async create(state: SessionState, changes: ChangeSet, now: number): Promise<string | undefined> {
    const { set } = changes;
    if (set.length === 0 && state.principal === undefined && !this.#config.saveUninitialized) {
      // Nothing to keep: no record and no cookie. A regenerate that dropped everything ends the session it
      // replaces, so its cookie goes; an invalid cookie may go too.
      if (state.replaces !== undefined) await this.endReplaced(state);
      return state.clearableCookie ? this.clearingCookie(state) : undefined;
    }
    state.times.lastAccessAt = now;
    if (state.trace) state.trace.kind = state.replaces === undefined ? "create" : "rotate";
    if (this.events) noteCommand(state.trace, "expiry schedule");
    // Scheduled before it exists: a crash between the two can yield an "expired" event for a session
    // that never was (at least once errs that way), never a session without its "expired" event.
    await this.events?.schedule(state.keyId, now + this.remainingMs(state.times, now), now);
    const { replaces } = state;
    noteCommand(state.trace, "session write");
    const outcome = await this.store.write(state.keyId, {
      mode: "create",
      set: [...timesToFields(state.times), ...identityFields(state), ...set],
      remove: [],
      ...this.lifetime(state, now),
      ...(replaces === undefined ? {} : { replaces }),
    });
    // An import's ID is derived from its legacy session: "exists" is the same import by a parallel request.
    const sameImport = outcome === "exists" && state.migration?.imported === true;
    // 256 random bits do not collide; "exists" means the store is not what we think it is.
    if (outcome !== "written" && !sameImport)
      throw new SessionError(ErrorCodes.SESSION_STATE, `new session could not be created (${outcome})`);
    state.isNew = false;
    state.lifetimeChanged = false;
    state.clearableCookie = true;
    if (replaces !== undefined) {
      state.replaces = undefined;
      if (this.events) noteCommand(state.trace, "expiry unschedule");
      await this.events?.unschedule(replaces.keyId);
    }
    if (changes !== NO_CHANGES) state.storedEncoded = changes.encoded;
    state.touchDue = false;
    const previousKeyId = state.previousKeyId;
    state.previousKeyId = undefined;
    await this.publish(
      previousKeyId === undefined
        ? { type: "created", keyId: state.keyId, principal: state.principal }
        : { type: "regenerated", keyId: state.keyId, principal: state.principal, previousKeyId },
      state.trace,
    );
    return this.sessionCookie(state, now);
  }

  /** A record found corrupt while the request read it is removed; its changes are dropped (rule 8). */
  async endCorrupt(state: SessionState): Promise<undefined> {
    if (state.destroyed) return undefined;
    state.destroyed = true;
    const stored = state.isNew ? state.replaces?.keyId : state.keyId;
    if (stored === undefined) return undefined;
    diagnose(
      this.#config,
      "SESSION_RECORD_CORRUPT",
      "a stored value does not decode; session removed",
      stored,
    );
    if (state.trace) state.trace.kind = "destroy";
    noteCommand(state.trace, "session delete");
    await removeQuietly(this.store, stored);
    return undefined;
  }

  /** Deletes the stored record a rotation would have replaced: this request ends that session. */
  async endReplaced(state: SessionState, reason?: string): Promise<void> {
    const replaced = state.replaces;
    if (replaced === undefined) return;
    if (state.trace) {
      state.trace.kind = "destroy";
      state.trace.commands.push("session delete", ...(this.events ? ["expiry unschedule"] : []));
    }
    await this.store.remove(replaced.keyId, replaced.indexId);
    state.replaces = undefined;
    state.clearableCookie = true;
    await this.events?.unschedule(replaced.keyId);
    if (reason !== undefined) {
      await this.publish({ type: "destroyed", keyId: replaced.keyId, reason }, state.trace);
    }
  }

  /**
   * TTL and index entry of a write. With events on, the record outlives its deadline by
   * events.retainExpired, so the sweeper can still read it for the "expired" event; requests never see
   * it (deadlines are checked in code).
   */
  lifetime(state: SessionState, now: number): Pick<SessionWrite, "ttlMs" | "index"> {
    const remainingMs = this.remainingMs(state.times, now);
    const indexId = indexIdOf(state);
    return {
      ttlMs: remainingMs + (this.events?.retainExpiredMs ?? 0),
      ...(indexId === undefined ? {} : { index: { indexId, deadline: now + remainingMs } }),
    };
  }

  /** Events are published after the write they report; a failure to publish fails the request. */
  async publish(event: NewSessionEvent, trace?: CommitTrace): Promise<void> {
    if (!this.events) return;
    noteCommand(trace, "event publish");
    if (event.principal === undefined) delete event.principal;
    await this.events.publish(event, this.#config.now());
  }

  /** Time until the session ends; also its TTL, so Redis drops it no later than the code would. */
  remainingMs(times: SessionTimes, now: number): number {
    return sessionDeadline(times, this.#config.idleTimeoutMs) - now;
  }

  sessionCookie(state: SessionState, now: number): string {
    state.cookieDue = this.#config.rolling;
    const maxAgeMs = this.#persistentCookie(state) ? this.remainingMs(state.times, now) : undefined;
    return this.#config.cookies.issue(state.id, state.keyId, maxAgeMs, state.secureRequest);
  }

  /** The session's own choice (cookie.maxAge), else the cookie option. */
  #persistentCookie(state: SessionState): boolean {
    return state.cookieKind === undefined ? this.cookie.persistent : state.cookieKind === "persistent";
  }

  clearingCookie(state: SessionState): string {
    return this.#config.cookies.clear(state.secureRequest);
  }
}

/** Principal and device fields written with a new record. */
function identityFields(state: SessionState): [string, string][] {
  const fields: [string, string][] = [];
  if (state.principal !== undefined) fields.push([MetaField.principal, state.principal]);
  if (state.device.userAgent !== undefined) fields.push([MetaField.userAgent, state.device.userAgent]);
  if (state.device.ip !== undefined) fields.push([MetaField.ip, state.device.ip]);
  if (state.cookieKind !== undefined) fields.push(cookieKindField(state.cookieKind));
  return fields;
}

/** The session's own lifetime as an update writes it (its idle timeout goes with the times). */
function lifetimeFields(state: SessionState): [string, string][] {
  const fields: [string, string][] = [];
  if (state.times.idleTimeoutMs !== undefined) {
    fields.push([MetaField.idleTimeout, String(state.times.idleTimeoutMs)]);
  }
  if (state.cookieKind !== undefined) fields.push(cookieKindField(state.cookieKind));
  return fields;
}
