import { ErrorCodes, SessionConfigError, SessionError } from "../common/errors.js";
import { handleOf } from "../store/key-id.js";
import { idleDeadline } from "../store/record-meta.js";
import { isReadyCheckStore, type SessionStore } from "../store/session-store.js";
import { type ChangeSet, changeSetOf, NO_CHANGES } from "./change-set.js";
import type { ResolvedCookieOptions } from "./cookies/session-cookie.js";
import { Migration, type SetCookie } from "./migration.js";
import type { PrincipalDirectory, PrincipalSession } from "./principal-directory.js";
import type { Session } from "./session.js";
import { replaceAttributes, sessionState } from "./session.js";
import { SessionCookie } from "./session-cookie-view.js";
import type { NewSessionEvent, SessionEventLog } from "./session-events.js";
import { generateSessionId, principalTag, sessionKeyId } from "./session-id.js";
import { SessionLoader, type SessionRequest } from "./session-loader.js";
import {
  observed,
  registerObservers,
  type SessionObserver,
  type SessionObservers,
} from "./session-observers.js";
import type { SessionConfig } from "./session-options.js";
import {
  indexIdOf,
  isQuietRead,
  type SessionBackend,
  type SessionCookieView,
  type SessionMeta,
  type SessionState,
  startTimes,
} from "./session-state.js";
import { type CommitTrace, commitChannel } from "./session-tracing.js";

const commitEnded = (observer: SessionObserver, trace: CommitTrace, ms: number) =>
  observer.commitEnded(trace, ms);

import { SessionWriter } from "./session-writer.js";

export type { SessionRequest };

/** The parts a manager works with, built by the composition root (create-session-manager.ts). */
export interface SessionServices {
  store: SessionStore;
  /** Present when the store has the principal index capability. */
  principals?: PrincipalDirectory;
  /** Present when events are on. */
  events?: SessionEventLog;
}

const MAX_PRINCIPAL_LENGTH = 256;
const NOTHING_TO_COMMIT: Promise<undefined> = Promise.resolve(undefined);

/**
 * The framework-agnostic core: `load()` a request's session (one store round trip), let the handler
 * change it, `commit()` it before the response leaves (at most one round trip, nothing when nothing
 * changed and touchAfter has not passed). Adapters only move cookies between the framework and here.
 * Built by createSessionManager(options); it knows the store only through its port.
 */
export class SessionManager implements SessionBackend {
  readonly store: SessionStore;
  /** The event stream and expiry schedule, when events are on. */
  readonly events: SessionEventLog | undefined;
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  readonly touchAfterMs: number;
  readonly failurePolicy: "closed" | "open";
  readonly cookie: ResolvedCookieOptions;
  readonly #config: SessionConfig;
  readonly #principals: PrincipalDirectory | undefined;
  readonly #loader: SessionLoader;
  readonly #writer: SessionWriter;
  readonly #migration: Migration | undefined;
  readonly #observers: SessionObservers = [];

  constructor(config: SessionConfig, services: SessionServices) {
    if (services === undefined) {
      throw new SessionConfigError("build a SessionManager with createSessionManager(options)");
    }
    this.#config = config;
    this.store = services.store;
    this.events = services.events;
    this.#principals = services.principals;
    this.idleTimeoutMs = config.idleTimeoutMs;
    this.absoluteTimeoutMs = config.absoluteTimeoutMs;
    this.touchAfterMs = config.touchAfterMs;
    this.failurePolicy = config.failurePolicy;
    this.cookie = config.cookies.options;
    registerObservers(this, this.#observers);
    this.#loader = new SessionLoader(
      config,
      services.store,
      this,
      services.events !== undefined,
      this.#observers,
    );
    this.#migration = config.migration && new Migration(config.migration, config, this.#loader);
    this.#writer = new SessionWriter(config, services.store, services.events);
  }

  /**
   * Ends every session whose deadline has passed and publishes its "expired" event. Runs every
   * events.sweepInterval on its own; call it to sweep now.
   */
  sweepExpired(): Promise<number> {
    return this.events ? this.events.sweep(this.#config.now()) : Promise.resolve(0);
  }

  /**
   * Resolves once the store can serve sessions (for a Redis store: connected, authenticated, every
   * command of the request path allowed, settings checked); rejects with the error requests would get.
   * Await it before listen() to fail at start-up instead of on the first request.
   */
  async ready(): Promise<void> {
    if (isReadyCheckStore(this.store)) await this.store.ready();
    await this.events?.ready();
  }

  /** The request's session: its cookie's, or a fresh anonymous one (session/session-loader.ts). */
  load(request: SessionRequest): Promise<Session> {
    return this.#migration === undefined ? this.#loader.load(request) : this.#migration.load(request);
  }

  /**
   * Writes what changed and returns the Set-Cookie header value the response must carry, if any.
   * Throws a SessionStoreError when Redis fails: the adapter must not send the handler's response then.
   */
  commit(session: Session): Promise<SetCookie | undefined> {
    return this.commitUnlessQuiet(session) ?? NOTHING_TO_COMMIT;
  }

  /**
   * commit() for adapters: null, at once, when nothing is to be written and no cookie sent (the common
   * end of a read), so the response goes on in the same tick without waiting on a promise; otherwise
   * commit()'s promise. Never throws: a value that cannot be encoded is a rejected promise, like any
   * failed commit (a synchronous throw would leave a held response held for ever).
   */
  commitUnlessQuiet(session: Session): Promise<SetCookie | undefined> | null {
    const state = sessionState(session);
    const migration = state.migration;
    if (migration === undefined || this.#migration === undefined) return this.#commitPlain(session, state);
    return this.#migration.commit(
      session,
      migration,
      () => this.#commitPlain(session, state) ?? NOTHING_TO_COMMIT,
    );
  }

  #commitPlain(session: Session, state: SessionState): Promise<string | undefined> | null {
    let known: ChangeSet | undefined;
    if (state.commitChain === undefined && isQuietRead(state)) {
      try {
        known = this.#changes(session, state);
      } catch (error) {
        return Promise.reject(error);
      }
      if (known === NO_CHANGES) return null;
    }
    const result =
      state.commitChain === undefined
        ? this.#commitNow(session, known)
        : state.commitChain.then(() => this.#commitNow(session));
    state.commitChain = result.catch(this.#reportCommitFailure);
    return result;
  }

  /**
   * The commit of a request whose handler dropped its session (`req.session = null`, cookie-session's
   * and koa-session's logout): the session is destroyed, then committed (the cookie is cleared).
   */
  commitEnded(session: Session): Promise<SetCookie | undefined> {
    return this.destroy(session).then(() => this.commit(session));
  }

  #commitNow(session: Session, known?: ChangeSet): Promise<string | undefined> {
    const traced = commitChannel.hasSubscribers;
    if (!traced && this.#observers.length === 0) return this.#commitUntraced(session, known);
    const state = sessionState(session);
    // An anonymous visitor who stored nothing: no store command, no span on every such request.
    if (this.#nothingToCreate(session, state)) return this.#commitUntraced(session, known);
    const trace: CommitTrace = { manager: this, handle: handleOf(state.keyId), kind: "none", commands: [] };
    const commitTraced = async () => {
      state.trace = trace;
      try {
        return await this.#commitUntraced(session, known);
      } finally {
        state.trace = undefined;
      }
    };
    const work = traced ? commitChannel.tracePromise(commitTraced, trace) : commitTraced();
    return this.#observers.length === 0 ? work : observed(work, trace, this.#observers, commitEnded);
  }

  async #commitUntraced(session: Session, known?: ChangeSet): Promise<string | undefined> {
    const state = sessionState(session);
    if (state.corrupt) return this.#writer.endCorrupt(state);
    if (state.destroyed) {
      if (state.trace) state.trace.kind = "destroy";
      return state.clearableCookie ? this.#writer.clearingCookie(state) : undefined;
    }
    const changes = known ?? this.#changes(session, state);
    return this.#writer.write(state, changes);
  }

  async regenerate(session: Session, keepData: boolean): Promise<void> {
    await this.#rotate(session, keepData, sessionState(session).principal);
  }

  async setPrincipal(session: Session, principal: string): Promise<void> {
    if (typeof principal !== "string" || principal === "" || principal.length > MAX_PRINCIPAL_LENGTH) {
      throw new SessionError(
        ErrorCodes.SESSION_STATE,
        `a principal must be a string of 1-${MAX_PRINCIPAL_LENGTH} characters`,
      );
    }
    this.#principalDirectory();
    await this.#rotate(session, true, principal);
  }

  /**
   * A new ID (in the principal's slot when there is one). Nothing is written yet: the commit writes the
   * new record and deletes the one it replaces in one script (rule 15), so a login whose write fails
   * leaves the session it started from exactly as it was.
   */
  async #rotate(session: Session, keepData: boolean, principal: string | undefined): Promise<void> {
    const state = sessionState(session);
    this.#assertUsable(state);
    if (state.storeFailure !== undefined) throw state.storeFailure;
    if (!state.isNew) {
      // A second rotation in one request still replaces the stored record, the first one's.
      state.replaces = { keyId: state.keyId, indexId: indexIdOf(state) };
      state.previousKeyId ??= state.keyId;
    }
    if (!keepData) clearAttributes(session);
    state.principal = principal;
    state.id = generateSessionId(principal === undefined ? undefined : principalTag(principal));
    state.keyId = sessionKeyId(state.id);
    state.isNew = true;
    const { idleTimeoutMs } = state.times;
    state.times = startTimes(this.#config.now(), this.absoluteTimeoutMs);
    // "Remember me" chosen before the login carries over to the logged-in session.
    if (idleTimeoutMs !== undefined) state.times.idleTimeoutMs = idleTimeoutMs;
    state.storedEncoded = new Map();
    state.cookieDue = true;
  }

  async destroy(session: Session): Promise<void> {
    const state = sessionState(session);
    if (state.destroyed) return;
    // A logout that cannot reach Redis fails: the record would stay valid for whoever holds the cookie.
    if (state.storeFailure !== undefined) throw state.storeFailure;
    if (!state.isNew) {
      await this.store.remove(state.keyId, indexIdOf(state));
      await this.events?.unschedule(state.keyId);
      const event: NewSessionEvent = { type: "destroyed", keyId: state.keyId, reason: "logout" };
      if (state.principal !== undefined) event.principal = state.principal;
      if (this.events?.includeData) event.data = Object.fromEntries(state.storedEncoded);
      await this.#writer.publish(event);
      state.clearableCookie = true;
    } else if (state.replaces !== undefined) {
      // Regenerated in this request, then logged out: the stored session it came from ends.
      await this.#writer.endReplaced(state, "logout");
    }
    clearAttributes(session);
    state.destroyed = true;
  }

  readonly #reportCommitFailure = (error: unknown): void => {
    const code = error instanceof SessionError ? error.code : "SESSION_COMMIT_FAILED";
    const message = error instanceof Error ? error.message : String(error);
    this.#config.report({ code: "SESSION_COMMIT_FAILED", message: `${code}: ${message}` });
  };

  /** The principal's live sessions (the index prunes ended ones as it is read). */
  listSessions(principal: string, current?: Session): Promise<PrincipalSession[]> {
    const currentKeyId = current === undefined ? undefined : sessionState(current).keyId;
    return this.#principalDirectory().list(principal, currentKeyId);
  }

  /** Ends one of the principal's sessions; false when the handle is not (or no longer) one of them. */
  async revokeSession(principal: string, handle: string): Promise<boolean> {
    return (await this.#principalDirectory().revoke(principal, { handles: [handle] })) === 1;
  }

  /**
   * Ends all of the principal's sessions, or all but `except` (the current one). Atomic with respect to
   * the principal's logins: no session created before the revoke survives it.
   */
  revokeAllSessions(principal: string, options: { except?: Session } = {}): Promise<number> {
    const keepKeyId = options.except === undefined ? undefined : sessionState(options.except).keyId;
    return this.#principalDirectory().revoke(principal, keepKeyId === undefined ? {} : { keepKeyId });
  }

  async save(session: Session): Promise<void> {
    const state = sessionState(session);
    this.#assertUsable(state);
    // Only the adapter can send the cookie this write calls for (a new session, a new ID after a login):
    // the end-of-request commit issues it again (a migration's legacy cookies wait in its state).
    const setCookie = await this.commit(session);
    if (setCookie === undefined) return;
    if (state.migration) state.migration.pending.push(...[setCookie].flat());
    else state.cookieDue = true;
  }

  /**
   * Replaces the session's attributes and times with what the store holds now (express-session's
   * reload). A session the store does not hold (ended meanwhile, or not saved yet) is an error.
   */
  async reload(session: Session): Promise<void> {
    const state = sessionState(session);
    this.#assertUsable(state);
    if (state.storeFailure !== undefined) throw state.storeFailure;
    const record = state.isNew ? null : await this.#loader.reread(state.keyId);
    if (record === null) {
      throw new SessionError(
        ErrorCodes.SESSION_STATE,
        "the session is not in the store (it ended, or was never saved): nothing to reload",
      );
    }
    try {
      replaceAttributes(session, record.encodedAttributes);
    } catch {
      state.corrupt = true;
      clearAttributes(session);
      throw new SessionError(
        ErrorCodes.SESSION_STATE,
        "the stored session does not decode: nothing to reload",
      );
    }
    state.times = record.times;
    state.principal = record.principal;
    state.cookieKind = record.cookieKind;
    state.lifetimeChanged = false;
    state.storedEncoded = record.encodedAttributes;
  }

  cookieView(session: Session): SessionCookieView {
    return new SessionCookie(sessionState(session), this.#config);
  }

  meta(session: Session): SessionMeta {
    const { keyId, isNew, times, principal } = sessionState(session);
    const deadline = idleDeadline(times, this.idleTimeoutMs);
    return { keyId, keyHash: keyId, isNew, principal, ...times, idleDeadline: deadline };
  }

  async close(): Promise<void> {
    this.events?.close();
    await this.store.close();
  }

  #principalDirectory(): PrincipalDirectory {
    if (this.#principals === undefined) {
      throw new SessionConfigError(
        "principals need a store with a principal index (RedisSessionStore, MemoryStore)",
      );
    }
    return this.#principals;
  }

  #changes(session: Session, state: SessionState): ChangeSet {
    return changeSetOf(
      session,
      state.storedEncoded,
      this.#config.codec,
      this.#config.seal,
      this.#config.limits,
    );
  }

  #nothingToCreate(session: Session, state: SessionState): boolean {
    return (
      state.isNew &&
      state.replaces === undefined &&
      state.principal === undefined &&
      !state.corrupt &&
      !state.destroyed &&
      !this.#config.saveUninitialized &&
      Object.keys(session).length === 0
    );
  }

  #assertUsable(state: SessionState): void {
    if (state.destroyed) throw new SessionError(ErrorCodes.SESSION_STATE, "the session was destroyed");
  }
}

function clearAttributes(session: Session): void {
  for (const name of Object.keys(session)) delete (session as unknown as Record<string, unknown>)[name];
}
