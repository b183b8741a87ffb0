import { typedJsonCodec } from "../codecs/typed-json-codec.js";
import type { ValueCodec } from "../codecs/value-codec.js";
import { type Diagnostic, publishDiagnostic } from "../common/diagnostics.js";
import { toMilliseconds } from "../common/duration.js";
import { ErrorCodes, SessionConfigError, SessionError } from "../common/errors.js";
import type { RedisEventLog } from "../events/event-log.js";
import type { NewSessionEvent } from "../events/session-event.js";
import { RedisStore } from "../redis/redis-session-store.js";
import type { SessionStore, SessionWrite, StoredRecord } from "../store/session-store.js";
import { CookieSigner } from "./cookies/cookie-signer.js";
import {
  type ResolvedCookieOptions,
  readCookie,
  resolveCookieOptions,
  serializeClearingCookie,
  serializeSessionCookie,
} from "./cookies/session-cookie.js";
import { VerifiedCookies } from "./cookies/verified-cookies.js";
import {
  isUntouchedAttribute,
  RESERVED_ATTRIBUTES,
  Session,
  type SessionBackend,
  type SessionMeta,
  type SessionState,
  sessionState,
} from "./session.js";
import {
  generateSessionId,
  indexHandleOf,
  isWellFormedSessionId,
  keyIdOfHandle,
  principalIndexId,
  principalTag,
  sessionKeyId,
} from "./session-id.js";
import type { SessionOptions } from "./session-options.js";
import {
  encodedAttributesOf,
  fieldForAttribute,
  MetaField,
  type ParsedRecord,
  parseRecord,
  type SessionTimes,
  timesToFields,
  ValueSeal,
} from "./session-record.js";

/** What an adapter knows about the request. */
export interface SessionRequest {
  cookieHeader: string | undefined;
  /** The request came over TLS (decides `secure: "auto"`). */
  secure: boolean;
  /** Recorded with a new session when index.recordDevice is on. */
  userAgent?: string;
  ip?: string;
}

/** One of a principal's sessions, for a "your devices" page. */
export interface PrincipalSession {
  /** Opaque handle for revokeSession: the hash of the session ID, useless as a cookie. */
  handle: string;
  createdAt: number;
  lastAccessAt: number;
  idleDeadline: number;
  absoluteDeadline: number;
  userAgent?: string;
  ip?: string;
  /** This is the session of the request that asked. */
  current: boolean;
}

const MAX_PRINCIPAL_LENGTH = 256;
const MAX_DEVICE_FIELD_LENGTH = 256;

const DEFAULT_IDLE_MS = 86_400_000;
const DEFAULT_ABSOLUTE_MS = 14 * 86_400_000;
const DEFAULT_TOUCH_AFTER_MS = 300_000;
const NOTHING_TO_COMMIT: Promise<undefined> = Promise.resolve(undefined);
/** The device of a loaded session: none (shared, as every loaded session has the same). */
const NO_DEVICE: SessionState["device"] = Object.freeze({});

interface Changes {
  /** Field -> stored (sealed) value, for the store. */
  set: [string, string][];
  /** Fields to delete. */
  remove: string[];
  /** Attribute -> encoding as the store holds it once written. */
  encoded: Map<string, string>;
}

/** Nothing to write (shared: its encodings are never used, the session's own stay). */
const NO_CHANGES: Changes = Object.freeze({
  set: Object.freeze([]) as unknown as [string, string][],
  remove: Object.freeze([]) as unknown as string[],
  encoded: new Map<string, string>(),
});

/**
 * The framework-agnostic core: `load()` a request's session (one store round trip), let the handler
 * change it, `commit()` it before the response leaves (at most one round trip, nothing when nothing
 * changed and touchAfter has not passed). Adapters only move cookies between the framework and here.
 */
export class SessionManager implements SessionBackend {
  readonly store: SessionStore;
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  readonly touchAfterMs: number;
  readonly failurePolicy: "closed" | "open";
  readonly cookie: ResolvedCookieOptions;
  readonly #signer: CookieSigner;
  readonly #verifiedCookies = new VerifiedCookies();
  readonly #codec: ValueCodec;
  readonly #seal: ValueSeal;
  readonly #decode: (encoded: string) => unknown;
  readonly #saveUninitialized: boolean;
  readonly #rolling: boolean;
  readonly #onDiagnostic: ((diagnostic: Diagnostic) => void) | undefined;
  readonly #now: () => number;
  readonly #recordDevice: boolean;
  /** The event stream and expiry schedule, when events are on. */
  readonly events: RedisEventLog | undefined;
  readonly #includeDataInEvents: boolean;
  readonly #retainExpiredMs: number;
  readonly #sweeper: NodeJS.Timeout | undefined;

  constructor(options: SessionOptions) {
    if (options === null || typeof options !== "object") throw new SessionConfigError("options are required");
    this.#signer = new CookieSigner(options.secret);
    this.idleTimeoutMs = toMilliseconds(options.idleTimeout ?? DEFAULT_IDLE_MS, "idleTimeout");
    this.absoluteTimeoutMs = toMilliseconds(
      options.absoluteTimeout ?? DEFAULT_ABSOLUTE_MS,
      "absoluteTimeout",
    );
    if (this.idleTimeoutMs <= 0 || this.absoluteTimeoutMs <= 0) {
      throw new SessionConfigError(
        "idleTimeout and absoluteTimeout must be greater than 0 (every session ends)",
      );
    }
    this.touchAfterMs =
      options.touchAfter === undefined
        ? Math.min(DEFAULT_TOUCH_AFTER_MS, Math.floor(this.idleTimeoutMs / 4))
        : toMilliseconds(options.touchAfter, "touchAfter");
    if (this.touchAfterMs >= this.idleTimeoutMs) {
      throw new SessionConfigError(
        "touchAfter must be shorter than idleTimeout, or active users get logged out",
      );
    }
    const policy = options.failurePolicy ?? "closed";
    if (policy !== "closed" && policy !== "open") {
      throw new SessionConfigError(`failurePolicy must be "closed" or "open", got ${JSON.stringify(policy)}`);
    }
    this.failurePolicy = policy;
    this.cookie = resolveCookieOptions(options.cookie);
    this.#codec = options.codec ?? typedJsonCodec;
    this.#seal = new ValueSeal(this.#codec.name);
    this.#decode = (encoded) => this.#codec.decode(encoded);
    this.#saveUninitialized = options.saveUninitialized ?? false;
    this.#rolling = options.rolling ?? false;
    this.#onDiagnostic = options.onDiagnostic;
    this.#now = options.now ?? Date.now;
    this.store = resolveStore(options);
    this.#recordDevice = options.index?.recordDevice ?? false;
    this.#includeDataInEvents = options.events?.includeData ?? false;
    this.#retainExpiredMs = options.events
      ? toMilliseconds(options.events.retainExpired ?? "5m", "events.retainExpired")
      : 0;
    if (options.events) {
      if (!(this.store instanceof RedisStore)) {
        throw new SessionConfigError("events need a Redis store (the redis option)");
      }
      this.events = this.store.openEventLog({
        maxLength: options.events.maxLength ?? 100_000,
        includeData: this.#includeDataInEvents,
        idleTimeoutMs: this.idleTimeoutMs,
      });
      const interval = options.events.sweepInterval ?? "1s";
      if (interval !== false) {
        const intervalMs = Math.max(50, toMilliseconds(interval, "events.sweepInterval"));
        this.#sweeper = setInterval(() => void this.sweepExpired().catch(() => {}), intervalMs);
        this.#sweeper.unref();
      }
    }
  }

  /**
   * Ends every session whose deadline has passed and publishes its "expired" event. Runs every
   * events.sweepInterval on its own; call it to sweep now.
   */
  sweepExpired(): Promise<number> {
    return this.events ? this.events.sweep(this.#now()) : Promise.resolve(0);
  }

  async load(request: SessionRequest): Promise<Session> {
    const cookieValue = readCookie(request.cookieHeader, this.cookie.name);
    const hadCookie = cookieValue !== undefined;
    if (!hadCookie) return this.#fresh(request, false);
    const dot = cookieValue.lastIndexOf(".");
    const id = dot > 0 ? cookieValue.slice(0, dot) : "";
    // The shape check is free and comes first: the key id below is computed only for an ID-shaped value.
    const keyHash = isWellFormedSessionId(id) ? sessionKeyId(id) : undefined;
    const mac = cookieValue.slice(dot + 1);
    let signedWithOldSecret = keyHash === undefined ? undefined : this.#verifiedCookies.lookup(keyHash, mac);
    if (keyHash !== undefined && signedWithOldSecret === undefined) {
      signedWithOldSecret = this.#signer.unsign(cookieValue)?.signedWithOldSecret;
      if (signedWithOldSecret !== undefined)
        this.#verifiedCookies.remember(keyHash, mac, signedWithOldSecret);
    }
    if (keyHash === undefined || signedWithOldSecret === undefined) {
      this.#diagnose({
        code: "SESSION_COOKIE_INVALID",
        message: "session cookie is not signed by any secret",
      });
      return this.#fresh(request, true);
    }
    let fields: StoredRecord | null;
    try {
      fields = await this.store.load(keyHash);
    } catch (error) {
      return this.#storeFailed(error, request);
    }
    if (fields === null) {
      this.#diagnose({
        code: "SESSION_NOT_FOUND",
        message: "no session for this cookie (expired or ended)",
        keyHash,
      });
      return this.#fresh(request, true);
    }
    const now = this.#now();
    const record = parseRecord(fields, this.#seal);
    const session =
      record && this.#loadedSession(record, { id, keyHash, now, request, hadCookie, signedWithOldSecret });
    if (!record || !session) {
      this.#diagnose({
        code: "SESSION_RECORD_CORRUPT",
        message: "session record does not decode; removed",
        keyHash,
      });
      await this.#removeQuietly(keyHash);
      return this.#fresh(request, true);
    }
    const { times } = record;
    const expiry =
      now >= times.absoluteDeadline ? "ABSOLUTE" : now >= this.#idleDeadline(times) ? "IDLE" : null;
    if (expiry) {
      this.#diagnose({
        code: `SESSION_EXPIRED_${expiry}`,
        message: `session passed its ${expiry.toLowerCase()} deadline`,
        keyHash,
      });
      // With events on, the sweeper ends the record and publishes "expired" with its data.
      if (!this.events) await this.#removeQuietly(keyHash);
      return this.#fresh(request, true);
    }
    if (signedWithOldSecret) {
      this.#diagnose({
        code: "SESSION_COOKIE_RENEWED",
        message: "cookie signed by an older secret; re-issued",
        keyHash,
      });
    }
    return session;
  }

  /** The session of a stored record; null when one of its short values does not decode (rule 8). */
  #loadedSession(
    record: ParsedRecord,
    loaded: {
      id: string;
      keyHash: string;
      now: number;
      request: SessionRequest;
      hadCookie: boolean;
      signedWithOldSecret: boolean;
    },
  ): Session | null {
    const state: SessionState = {
      backend: this,
      id: loaded.id,
      keyHash: loaded.keyHash,
      isNew: false,
      times: record.times,
      principal: record.principal,
      previousKeyHash: undefined,
      // The device is recorded when a session is created, never read back from its record.
      device: NO_DEVICE,
      storedEncoded: record.encodedAttributes,
      destroyed: false,
      touchDue: loaded.now - record.times.lastAccessAt >= this.touchAfterMs,
      cookieDue: loaded.signedWithOldSecret || this.#rolling,
      hadCookie: loaded.hadCookie,
      storeFailure: undefined,
      secureRequest: loaded.request.secure,
      commitChain: undefined,
    };
    try {
      return new Session(state, record.encodedAttributes, this.#decode);
    } catch {
      return null;
    }
  }

  /**
   * Writes what changed and returns the Set-Cookie header value the response must carry, if any.
   * Throws a SessionStoreError when Redis fails: the adapter must not send the handler's response then.
   */
  commit(session: Session): Promise<string | undefined> {
    return this.commitUnlessQuiet(session) ?? NOTHING_TO_COMMIT;
  }

  /**
   * commit() for adapters: null, at once, when nothing is to be written and no cookie sent (the common
   * end of a read), so the response goes on in the same tick without waiting on a promise; otherwise
   * commit()'s promise. Never throws: a value that cannot be encoded is a rejected promise, like any
   * failed commit (a synchronous throw would leave a held response held for ever).
   */
  commitUnlessQuiet(session: Session): Promise<string | undefined> | null {
    const state = sessionState(session);
    let known: Changes | undefined;
    if (state.commitChain === undefined && this.#isQuietRead(state)) {
      try {
        known = this.#changes(session);
      } catch (error) {
        return Promise.reject(error);
      }
      if (known === NO_CHANGES) return null;
    }
    const result =
      state.commitChain === undefined
        ? this.#commitNow(session, known)
        : state.commitChain.then(() => this.#commitNow(session));
    state.commitChain = result.catch(() => {});
    return result;
  }

  /** A loaded session with no write or cookie due apart from its attributes' changes. */
  #isQuietRead(state: SessionState): boolean {
    return (
      !state.isNew &&
      !state.destroyed &&
      !state.touchDue &&
      !state.cookieDue &&
      state.storeFailure === undefined
    );
  }

  async #commitNow(session: Session, known?: Changes): Promise<string | undefined> {
    const state = sessionState(session);
    if (state.destroyed) return state.hadCookie ? this.#clearingCookie(state.secureRequest) : undefined;
    const changes = known ?? this.#changes(session);
    const { set, remove } = changes;
    const encoded = changes === NO_CHANGES ? state.storedEncoded : changes.encoded;
    if (state.storeFailure !== undefined) {
      // Fail-open serves reads anonymously, but a change (a login) that cannot be stored must not look
      // as if it succeeded: the request fails as it would under fail-closed.
      if (set.length > 0 || remove.length > 0 || state.cookieDue) throw state.storeFailure;
      return undefined;
    }
    const now = this.#now();
    if (state.isNew) {
      if (set.length === 0 && state.principal === undefined && !this.#saveUninitialized) {
        // Nothing to keep: no record and no cookie; a cookie the browser still sends is stale.
        return state.hadCookie ? this.#clearingCookie(state.secureRequest) : undefined;
      }
      state.times.lastAccessAt = now;
      // Scheduled before it exists: a crash between the two can yield an "expired" event for a session
      // that never was (at least once errs that way), never a session without its "expired" event.
      await this.events?.schedule(state.keyHash, now + this.#remainingMs(state.times, now), now);
      const outcome = await this.store.write(state.keyHash, {
        mode: "create",
        set: [...timesToFields(state.times), ...this.#identityFields(state), ...set],
        remove: [],
        ...this.#lifetime(state, now),
      });
      // 256 random bits do not collide; "exists" means the store is not what we think it is.
      if (outcome !== "written")
        throw new SessionError(ErrorCodes.SESSION_STATE, `new session could not be created (${outcome})`);
      state.isNew = false;
      state.hadCookie = true;
      this.#settled(state, encoded);
      const previousKeyHash = state.previousKeyHash;
      state.previousKeyHash = undefined;
      await this.#publish(
        previousKeyHash === undefined
          ? { type: "created", keyHash: state.keyHash, principal: state.principal }
          : { type: "regenerated", keyHash: state.keyHash, principal: state.principal, previousKeyHash },
      );
      return this.#sessionCookie(state, now);
    }
    if (set.length === 0 && remove.length === 0 && !state.touchDue) {
      if (!state.cookieDue) return undefined;
      state.cookieDue = this.#rolling;
      return this.#sessionCookie(state, now);
    }
    // Any write records activity: the idle deadline, the TTL and a persistent cookie slide together.
    state.times.lastAccessAt = now;
    const ttlMs = this.#remainingMs(state.times, now);
    if (ttlMs <= 0) {
      await this.#removeQuietly(state.keyHash);
      state.destroyed = true;
      return this.#clearingCookie(state.secureRequest);
    }
    const outcome = await this.store.write(state.keyHash, {
      mode: "update",
      set: [...set, [MetaField.lastAccessAt, String(now)]],
      remove,
      ...this.#lifetime(state, now),
    });
    if (outcome === "gone") {
      // Destroyed (logout elsewhere) or expired while this request ran: do not bring it back.
      this.#diagnose({
        code: "SESSION_GONE_BEFORE_COMMIT",
        message: "session ended before this request's changes were written; changes dropped",
        keyHash: state.keyHash,
      });
      state.destroyed = true;
      return this.#clearingCookie(state.secureRequest);
    }
    this.#settled(state, encoded);
    if (this.cookie.persistent) state.cookieDue = true;
    return state.cookieDue ? this.#sessionCookie(state, now) : undefined;
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
    await this.#rotate(session, true, principal);
  }

  /** A new ID (in the principal's slot when there is one); the old record and index entry go at once. */
  async #rotate(session: Session, keepData: boolean, principal: string | undefined): Promise<void> {
    const state = sessionState(session);
    this.#assertUsable(state);
    if (state.storeFailure !== undefined) throw state.storeFailure;
    if (!state.isNew) {
      await this.store.remove(state.keyHash, this.#indexIdOf(state));
      await this.events?.unschedule(state.keyHash);
      state.previousKeyHash ??= state.keyHash;
    }
    if (!keepData)
      for (const name of Object.keys(session)) delete (session as unknown as Record<string, unknown>)[name];
    state.principal = principal;
    state.id = generateSessionId(principal === undefined ? undefined : principalTag(principal));
    state.keyHash = sessionKeyId(state.id);
    state.isNew = true;
    state.times = this.#newTimes(this.#now());
    state.storedEncoded = new Map();
    state.cookieDue = true;
  }

  async destroy(session: Session): Promise<void> {
    const state = sessionState(session);
    if (state.destroyed) return;
    // A logout that cannot reach Redis fails: the record would stay valid for whoever holds the cookie.
    if (state.storeFailure !== undefined) throw state.storeFailure;
    if (!state.isNew) {
      await this.store.remove(state.keyHash, this.#indexIdOf(state));
      await this.events?.unschedule(state.keyHash);
      const data = this.#includeDataInEvents ? Object.fromEntries(state.storedEncoded) : undefined;
      await this.#publish({
        type: "destroyed",
        keyHash: state.keyHash,
        principal: state.principal,
        reason: "logout",
        data,
      });
    }
    for (const name of Object.keys(session)) delete (session as unknown as Record<string, unknown>)[name];
    state.destroyed = true;
  }

  /** The principal's live sessions (the index prunes ended ones as it is read). */
  async listSessions(principal: string, current?: Session): Promise<PrincipalSession[]> {
    const currentHandle = current ? indexHandleOf(sessionState(current).keyHash) : undefined;
    const indexed = await this.store.listIndexed(
      principalIndexId(principal),
      this.#now(),
      this.idleTimeoutMs,
    );
    return indexed.map(({ handle, fields }) => {
      const lastAccessAt = Number(fields[MetaField.lastAccessAt]);
      const item: PrincipalSession = {
        handle,
        createdAt: Number(fields[MetaField.createdAt]),
        lastAccessAt,
        idleDeadline: lastAccessAt + this.idleTimeoutMs,
        absoluteDeadline: Number(fields[MetaField.absoluteDeadline]),
        current: handle === currentHandle,
      };
      const userAgent = fields[MetaField.userAgent];
      const ip = fields[MetaField.ip];
      if (userAgent) item.userAgent = userAgent;
      if (ip) item.ip = ip;
      return item;
    });
  }

  /** Ends one of the principal's sessions; false when the handle is not (or no longer) one of them. */
  async revokeSession(principal: string, handle: string): Promise<boolean> {
    return (await this.#revoke(principal, { handles: [handle] })) === 1;
  }

  /**
   * Ends all of the principal's sessions, or all but `except` (the current one). Atomic with respect to
   * the principal's logins: no session created before the revoke survives it.
   */
  async revokeAllSessions(principal: string, options: { except?: Session } = {}): Promise<number> {
    const keep = options.except ? indexHandleOf(sessionState(options.except).keyHash) : undefined;
    return this.#revoke(principal, keep === undefined ? {} : { keep });
  }

  async #revoke(principal: string, options: { handles?: string[]; keep?: string }): Promise<number> {
    const indexId = principalIndexId(principal);
    const revoked = await this.store.revokeIndexed(indexId, {
      ...options,
      withFields: this.#includeDataInEvents,
    });
    for (const { handle, fields } of revoked) {
      const keyHash = keyIdOfHandle(indexId, handle);
      await this.events?.unschedule(keyHash);
      const data = this.#includeDataInEvents ? encodedAttributesOf(fields) : undefined;
      await this.#publish({ type: "destroyed", keyHash, principal, reason: "revoked", data });
    }
    return revoked.length;
  }

  async save(session: Session): Promise<void> {
    this.#assertUsable(sessionState(session));
    await this.commit(session);
  }

  meta(session: Session): SessionMeta {
    const { keyHash, isNew, times, principal } = sessionState(session);
    return { keyHash, isNew, principal, ...times, idleDeadline: this.#idleDeadline(times) };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.store.close();
  }

  #fresh(request: SessionRequest, hadCookie: boolean, storeFailure?: unknown): Session {
    const id = generateSessionId();
    const device: { userAgent?: string; ip?: string } = {};
    if (this.#recordDevice && request.userAgent)
      device.userAgent = request.userAgent.slice(0, MAX_DEVICE_FIELD_LENGTH);
    if (this.#recordDevice && request.ip) device.ip = request.ip.slice(0, MAX_DEVICE_FIELD_LENGTH);
    return new Session(
      {
        backend: this,
        id,
        keyHash: sessionKeyId(id),
        isNew: true,
        times: this.#newTimes(this.#now()),
        principal: undefined,
        previousKeyHash: undefined,
        device,
        storedEncoded: new Map(),
        destroyed: false,
        touchDue: false,
        cookieDue: false,
        hadCookie,
        storeFailure,
        secureRequest: request.secure,
        commitChain: undefined,
      },
      [],
      this.#decode,
    );
  }

  #storeFailed(error: unknown, request: SessionRequest): Session {
    if (this.failurePolicy === "closed") throw error;
    this.#diagnose({
      code: "SESSION_STORE_FAILED_OPEN",
      message: `store failed, request continues anonymous: ${(error as Error).message}`,
    });
    return this.#fresh(request, true, error);
  }

  #indexIdOf(state: SessionState): string | undefined {
    return state.principal === undefined ? undefined : principalIndexId(state.principal);
  }

  /** Principal and device fields written with a new record. */
  #identityFields(state: SessionState): [string, string][] {
    const fields: [string, string][] = [];
    if (state.principal !== undefined) fields.push([MetaField.principal, state.principal]);
    if (state.device.userAgent !== undefined) fields.push([MetaField.userAgent, state.device.userAgent]);
    if (state.device.ip !== undefined) fields.push([MetaField.ip, state.device.ip]);
    return fields;
  }

  /**
   * TTL and index entry of a write. With events on, the record outlives its deadline by
   * events.retainExpired, so the sweeper can still read it for the "expired" event; requests never see
   * it (deadlines are checked in code).
   */
  #lifetime(state: SessionState, now: number): Pick<SessionWrite, "ttlMs" | "index"> {
    const remainingMs = this.#remainingMs(state.times, now);
    const indexId = this.#indexIdOf(state);
    return {
      ttlMs: remainingMs + this.#retainExpiredMs,
      ...(indexId === undefined ? {} : { index: { indexId, deadline: now + remainingMs } }),
    };
  }

  /** Events are published after the write they report; a failure to publish fails the request. */
  async #publish(event: NewSessionEvent): Promise<void> {
    if (!this.events) return;
    const defined = Object.entries(event).filter(([, value]) => value !== undefined);
    await this.events.publish(Object.fromEntries(defined) as NewSessionEvent, this.#now());
  }

  #newTimes(now: number): SessionTimes {
    return { createdAt: now, lastAccessAt: now, absoluteDeadline: now + this.absoluteTimeoutMs };
  }

  #idleDeadline(times: SessionTimes): number {
    return times.lastAccessAt + this.idleTimeoutMs;
  }

  /** Time until the session ends; also its TTL, so Redis drops it no later than the code would. */
  #remainingMs(times: SessionTimes, now: number): number {
    return Math.min(this.#idleDeadline(times), times.absoluteDeadline) - now;
  }

  /**
   * What the commit must write: attributes whose encoding differs from the stored one (sealed for the
   * store), removals, and the encodings the store holds afterwards. An attribute still untouched is
   * neither decoded nor encoded. Answers the shared NO_CHANGES when nothing changed.
   */
  #changes(session: Session): Changes {
    const { storedEncoded } = sessionState(session);
    const attributes = session as unknown as Record<string, unknown>;
    const set: [string, string][] = [];
    const changed: [string, string][] = [];
    let kept = 0;
    const names = Object.keys(session);
    for (const name of names) {
      const stored = storedEncoded.get(name);
      if (stored !== undefined && isUntouchedAttribute(session, name)) {
        kept++;
        continue;
      }
      const value = attributes[name];
      if (value === undefined) continue;
      if (RESERVED_ATTRIBUTES.has(name)) {
        throw new SessionError(
          ErrorCodes.SESSION_STATE,
          `"${name}" is a session method and cannot be an attribute`,
        );
      }
      const encodedValue = this.#codec.encode(value);
      if (stored !== undefined) kept++;
      if (encodedValue === stored) continue;
      set.push([fieldForAttribute(name), this.#seal.seal(encodedValue)]);
      changed.push([name, encodedValue]);
    }
    const removed = kept < storedEncoded.size ? this.#removedAttributes(session, names) : [];
    if (set.length === 0 && removed.length === 0) return NO_CHANGES;
    const encoded = new Map(storedEncoded);
    for (const name of removed) encoded.delete(name);
    for (const [name, value] of changed) encoded.set(name, value);
    return { set, remove: removed.map(fieldForAttribute), encoded };
  }

  /** Stored attributes the session no longer has (deleted, or set to undefined). */
  #removedAttributes(session: Session, names: string[]): string[] {
    const { storedEncoded } = sessionState(session);
    const attributes = session as unknown as Record<string, unknown>;
    const present = new Set<string>();
    for (const name of names) {
      if (isUntouchedAttribute(session, name) || attributes[name] !== undefined) present.add(name);
    }
    return [...storedEncoded.keys()].filter((name) => !present.has(name));
  }

  #settled(state: SessionState, encoded: Map<string, string>): void {
    state.storedEncoded = encoded;
    state.touchDue = false;
  }

  #sessionCookie(state: SessionState, now: number): string {
    state.cookieDue = this.#rolling;
    const maxAgeMs = this.cookie.persistent ? this.#remainingMs(state.times, now) : undefined;
    return serializeSessionCookie(this.cookie, this.#signedId(state), maxAgeMs, state.secureRequest);
  }

  /** "<id>.<mac>" under the current secret; the MAC of a cookie already verified or issued is reused. */
  #signedId(state: SessionState): string {
    const known = this.#verifiedCookies.currentMac(state.keyHash);
    if (known !== undefined) return `${state.id}.${known}`;
    const signed = this.#signer.sign(state.id);
    // The browser sends it back on its next request: remembered now, that request needs no HMAC either.
    this.#verifiedCookies.remember(state.keyHash, signed.slice(signed.lastIndexOf(".") + 1), false);
    return signed;
  }

  #clearingCookie(secureRequest: boolean): string {
    return serializeClearingCookie(this.cookie, secureRequest);
  }

  #assertUsable(state: SessionState): void {
    if (state.destroyed) throw new SessionError(ErrorCodes.SESSION_STATE, "the session was destroyed");
  }

  async #removeQuietly(keyHash: string): Promise<void> {
    try {
      await this.store.remove(keyHash);
    } catch {
      // The record still has its TTL; the next load finds it bad again and retries.
    }
  }

  #diagnose(diagnostic: Diagnostic): void {
    publishDiagnostic(diagnostic);
    this.#onDiagnostic?.(diagnostic);
  }
}

function resolveStore(options: SessionOptions): SessionStore {
  if (options.store && options.redis !== undefined)
    throw new SessionConfigError("give either redis or store, not both");
  if (options.store) return options.store;
  if (options.redis === undefined) {
    throw new SessionConfigError("redis (a URL or a client) or store is required");
  }
  return new RedisStore({
    redis: options.redis,
    namespace: options.namespace,
    keyPrefix: options.keyPrefix,
    commandTimeout: options.commandTimeout,
    replicaReads: options.replicaReads,
    durability: options.durability,
  });
}

export function createSessionManager(options: SessionOptions): SessionManager {
  return new SessionManager(options);
}
