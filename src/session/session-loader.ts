import type { Diagnostic } from "../common/diagnostics.js";
import { handleOf } from "../store/key-id.js";
import { expiryOf } from "../store/record-meta.js";
import type { SessionStore, StoredRecord } from "../store/session-store.js";
import { INVALID_COOKIE, NO_COOKIE, type VerifiedSessionCookie } from "./cookies/cookie-issuer.js";
import { Session, sessionState } from "./session.js";
import { generateSessionId, sessionKeyId } from "./session-id.js";
import { observed, type SessionObserver, type SessionObservers } from "./session-observers.js";
import type { SessionConfig } from "./session-options.js";
import { type ParsedRecord, parseRecord } from "./session-record.js";
import {
  loadedSessionState,
  newSessionState,
  type SessionBackend,
  type SessionDevice,
  startTimes,
} from "./session-state.js";
import { type LoadTrace, loadChannel, noteCommand } from "./session-tracing.js";

const loadEnded = (observer: SessionObserver, trace: LoadTrace, ms: number) => observer.loadEnded(trace, ms);

/** What an adapter knows about the request. */
export interface SessionRequest {
  cookieHeader: string | undefined;
  /** The request came over TLS (decides `secure: "auto"`). */
  secure: boolean;
  /** Recorded with a new session when index.recordDevice is on. */
  userAgent?: string;
  ip?: string;
}

const MAX_DEVICE_FIELD_LENGTH = 256;

/**
 * A request's session: the one its cookie names when that cookie is signed and its record is whole and
 * within its deadlines, else a fresh anonymous one (rule 8), in one store round trip. A store that fails
 * is the request's error under the fail-closed policy, an anonymous session that may not change under
 * fail-open (rule 9).
 */
export class SessionLoader {
  readonly #config: SessionConfig;
  readonly #store: SessionStore;
  readonly #backend: SessionBackend;
  readonly #decode: (encoded: string) => unknown;
  /** With events on, the sweeper ends an expired record (and reports it); a request leaves it alone. */
  readonly #sweeperEndsExpired: boolean;
  /** sessionkit/metrics and the like (session-observers.ts). */
  readonly #observers: SessionObservers;

  constructor(
    config: SessionConfig,
    store: SessionStore,
    backend: SessionBackend,
    sweeperEndsExpired: boolean,
    observers: SessionObservers,
  ) {
    this.#config = config;
    this.#store = store;
    this.#backend = backend;
    this.#decode = (encoded) => config.codec.decode(encoded);
    this.#sweeperEndsExpired = sweeperEndsExpired;
    this.#observers = observers;
  }

  load(request: SessionRequest): Promise<Session> {
    const traced = loadChannel.hasSubscribers;
    if (!traced && this.#observers.length === 0) return this.#load(request, undefined);
    const trace: LoadTrace = { manager: this.#backend, handle: undefined, outcome: undefined, commands: [] };
    const work = traced
      ? loadChannel.tracePromise(() => this.#load(request, trace), trace)
      : this.#load(request, trace);
    return this.#observers.length === 0 ? work : observed(work, trace, this.#observers, loadEnded);
  }

  async #load(request: SessionRequest, trace: LoadTrace | undefined): Promise<Session> {
    const cookie = this.#config.cookies.verify(request.cookieHeader);
    if (cookie === NO_COOKIE) {
      if (trace) trace.outcome = "none";
      return this.fresh(request, false);
    }
    if (cookie === INVALID_COOKIE) {
      diagnose(this.#config, "SESSION_COOKIE_INVALID", "session cookie is not signed by any secret");
      if (trace) trace.outcome = "invalid_cookie";
      return this.fresh(request, true);
    }
    const { keyId } = cookie;
    if (trace) trace.handle = handleOf(keyId);
    let fields: StoredRecord | null;
    try {
      noteCommand(trace, "session read");
      fields = await this.#store.load(keyId);
    } catch (error) {
      return this.#storeFailed(error, request, trace);
    }
    if (fields === null) {
      diagnose(this.#config, "SESSION_NOT_FOUND", "no session for this cookie (expired or ended)", keyId);
      if (trace) trace.outcome = "gone";
      return this.fresh(request, false);
    }
    const now = this.#config.now();
    const session = this.#loaded(fields, cookie, request, now);
    if (session === null) {
      diagnose(this.#config, "SESSION_RECORD_CORRUPT", "session record does not decode; removed", keyId);
      noteCommand(trace, "session delete");
      await removeQuietly(this.#store, keyId);
      if (trace) trace.outcome = "corrupt";
      return this.fresh(request, false);
    }
    const expiry = expiryOf(sessionState(session).times, this.#config.idleTimeoutMs, now);
    if (expiry !== null) {
      const code = expiry === "idle" ? "SESSION_EXPIRED_IDLE" : "SESSION_EXPIRED_ABSOLUTE";
      diagnose(this.#config, code, `session passed its ${expiry} deadline`, keyId);
      if (!this.#sweeperEndsExpired) {
        noteCommand(trace, "session delete");
        await removeQuietly(this.#store, keyId);
      }
      if (trace) trace.outcome = "expired";
      return this.fresh(request, false);
    }
    if (cookie.signedWithOldSecret) {
      diagnose(this.#config, "SESSION_COOKIE_RENEWED", "cookie signed by an older secret; re-issued", keyId);
    }
    if (trace) trace.outcome = "found";
    return session;
  }

  /**
   * The session stored under a known ID (an import's derived ID: the browser has no cookie for it yet, so
   * the response sends one); null when there is none or it ended. Store failures are thrown.
   */
  async loadById(request: SessionRequest, id: string): Promise<Session | null> {
    const keyId = sessionKeyId(id);
    const fields = await this.#store.load(keyId);
    if (fields === null) return null;
    const now = this.#config.now();
    const session = this.#loaded(fields, { id, keyId, signedWithOldSecret: true }, request, now);
    if (session === null) return null;
    return expiryOf(sessionState(session).times, this.#config.idleTimeoutMs, now) === null ? session : null;
  }

  /** A new session under a given ID (an import), not stored until the commit. */
  freshWithId(request: SessionRequest, id: string, absoluteDeadline: number): Session {
    const now = this.#config.now();
    const times = startTimes(now, this.#config.absoluteTimeoutMs, absoluteDeadline);
    const state = newSessionState({
      backend: this.#backend,
      id,
      keyId: sessionKeyId(id),
      times,
      device: this.#config.recordDevice ? deviceOf(request) : {},
      clearableCookie: false,
      secureRequest: request.secure,
    });
    return new Session(state, [], this.#decode);
  }

  /** The stored record of a session again (reload); null when it is gone, corrupt or past its deadline. */
  async reread(keyId: string): Promise<ParsedRecord | null> {
    const fields = await this.#store.load(keyId);
    if (fields === null) return null;
    const record = parseRecord(fields, this.#config.seal);
    if (record === null) return null;
    return expiryOf(record.times, this.#config.idleTimeoutMs, this.#config.now()) === null ? record : null;
  }

  /**
   * A new anonymous session, not stored until it holds something (or saveUninitialized). `invalidCookie`:
   * the request's cookie is not one of ours, and the response may delete it.
   */
  fresh(request: SessionRequest, invalidCookie: boolean, storeFailure?: unknown): Session {
    const id = generateSessionId();
    const now = this.#config.now();
    const state = newSessionState({
      backend: this.#backend,
      id,
      keyId: sessionKeyId(id),
      times: startTimes(now, this.#config.absoluteTimeoutMs),
      device: this.#config.recordDevice ? deviceOf(request) : {},
      clearableCookie: invalidCookie,
      secureRequest: request.secure,
      storeFailure,
    });
    return new Session(state, [], this.#decode);
  }

  /** The session of a stored record; null when the record is corrupt (rule 8). */
  #loaded(
    fields: StoredRecord,
    cookie: VerifiedSessionCookie,
    request: SessionRequest,
    now: number,
  ): Session | null {
    const record = parseRecord(fields, this.#config.seal);
    if (record === null) return null;
    const state = loadedSessionState({
      backend: this.#backend,
      id: cookie.id,
      keyId: cookie.keyId,
      times: record.times,
      principal: record.principal,
      cookieKind: record.cookieKind,
      storedEncoded: record.encodedAttributes,
      touchDue: now - record.times.lastAccessAt >= this.#config.touchAfterMs,
      cookieDue: cookie.signedWithOldSecret || this.#config.rolling,
      secureRequest: request.secure,
    });
    try {
      return new Session(state, record.encodedAttributes, this.#decode);
    } catch {
      // A short value that does not decode, or an attribute named after a method.
      return null;
    }
  }

  #storeFailed(error: unknown, request: SessionRequest, trace: LoadTrace | undefined): Session {
    if (this.#config.failurePolicy === "closed") throw error;
    if (trace) {
      trace.outcome = "failed_open";
      trace.storeError = error;
    }
    diagnose(
      this.#config,
      "SESSION_STORE_FAILED_OPEN",
      `store failed, request continues anonymous: ${(error as Error).message}`,
    );
    return this.fresh(request, false, error);
  }
}

/** Publishes a diagnostic and hands it to the app's onDiagnostic. */
export function diagnose(
  config: Pick<SessionConfig, "report">,
  code: Diagnostic["code"],
  message: string,
  keyId?: string,
): void {
  config.report(keyId === undefined ? { code, message } : { code, message, keyId, keyHash: keyId });
}

/** Removes a bad or ended record; a failure is left to its TTL (the next load finds it bad again). */
export async function removeQuietly(store: SessionStore, keyId: string): Promise<void> {
  try {
    await store.remove(keyId);
  } catch {
    // The record still has its TTL.
  }
}

function deviceOf(request: SessionRequest): SessionDevice {
  const device: { userAgent?: string; ip?: string } = {};
  if (request.userAgent) device.userAgent = request.userAgent.slice(0, MAX_DEVICE_FIELD_LENGTH);
  if (request.ip) device.ip = request.ip.slice(0, MAX_DEVICE_FIELD_LENGTH);
  return device;
}
