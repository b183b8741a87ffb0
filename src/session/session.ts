import { ErrorCodes, SessionError } from "../common/errors.js";
import { unsharedCopy } from "../common/unshared-copy.js";
import { LAZY_VALUE_LENGTH } from "./session-record.js";
import type { SessionCookieView, SessionMeta, SessionState } from "./session-state.js";

/**
 * The data of a user's session. Augment it to type your attributes:
 *
 *   declare module "sessionkit" { interface SessionData { userId: number; cart: CartItem[] } }
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by applications
export interface SessionData {}

/** What a request handler sees: the session's methods plus its (optional) typed attributes. */
export type SessionWithData<Data = SessionData> = Session & Partial<Data>;

/** Module-private access to a session's internals (set in the class's static block). */
let stateOf: (session: Session) => SessionState;
let readLongAttribute: (session: Session, name: string) => unknown;
let forgetLongAttribute: (session: Session, name: string) => void;
let isUnread: (session: Session, name: string) => boolean;
let assignStored: (session: Session, attributes: Iterable<[string, string]>) => void;

/**
 * A session: attributes are own properties (`session.userId = 42`, `delete session.cart`), the API lives
 * on the prototype, and the internal state under a symbol, so `Object.keys(session)` lists exactly the
 * data. Changes are found at commit by comparing each attribute's encoding with what the store holds,
 * which also catches nested mutations such as `session.cart.items.push(item)`.
 */
export class Session {
  // Private fields: invisible to Object.keys, spread and JSON, and cheaper to set than a defined symbol.
  readonly #state: SessionState;
  readonly #decode: (encoded: string) => unknown;
  /** Encoded values of the long attributes not read yet (name -> encoded). */
  #unread: Map<string, string> | undefined;

  static {
    stateOf = (session) => session.#state;
    readLongAttribute = (session, name) => {
      const encoded = session.#unread?.get(name);
      if (encoded === undefined) return undefined;
      // The seal was checked at load; a value that still does not decode was forged with a valid seal
      // (or written by a codec this one does not understand). Bad data is no session (rule 8): the
      // session empties itself at once, and the commit removes its record (session-manager.ts).
      let value: unknown;
      try {
        value = session.#decode(encoded);
      } catch {
        session.#state.corrupt = true;
        session.#unread = undefined;
        for (const other of Object.keys(session))
          delete (session as unknown as Record<string, unknown>)[other];
        return undefined;
      }
      session.#unread?.delete(name);
      return value;
    };
    forgetLongAttribute = (session, name) => {
      session.#unread?.delete(name);
    };
    isUnread = (session, name) => session.#unread?.has(name) === true;
    assignStored = (session, attributes) => {
      session.#unread = undefined;
      session.#assignStored(attributes);
    };
  }

  /**
   * `attributes`: name -> encoded value of a loaded record. A short value is decoded here (a value that
   * does not decode, or a name that is a method, throws, and the loader treats the record as corrupt);
   * a long one when the request first reads it (its seal was checked at load: session-record.ts).
   */
  constructor(
    state: SessionState,
    attributes: Iterable<[string, string]>,
    decode: (encoded: string) => unknown,
  ) {
    this.#state = state;
    this.#decode = decode;
    this.#assignStored(attributes);
  }

  #assignStored(attributes: Iterable<[string, string]>): void {
    const decode = this.#decode;
    for (const [name, encoded] of attributes) {
      // An attribute named after a method or property of the session: planted by foreign data, or stored
      // by a release before the name was the session's (0.1 allowed "id", "setPrincipal"...). It is left
      // out, so the session keeps working (logins included), and the next write removes it.
      if (RESERVED_ATTRIBUTES.has(name)) continue;
      if (encoded.length > LAZY_VALUE_LENGTH) {
        this.#unread ??= new Map();
        this.#unread.set(name, encoded);
        Object.defineProperty(this, name, untouchedAccessor(name));
      } else if (isPlainAssignable(name)) {
        (this as unknown as Record<string, unknown>)[name] = decode(encoded);
      } else {
        defineDataAttribute(this, name, decode(encoded));
      }
    }
  }

  /** The session ID, as express-session's `req.session.id`. Secret: never log it (meta.keyId is safe). */
  get id(): string {
    return this.#state.id;
  }

  /**
   * Gives the session a new ID and removes the old record (call it on login and privilege changes:
   * session fixation). Data is kept unless `keepData: false`; the deadlines restart. With a callback
   * (express-session's form, which Passport uses), returns the session and calls back once, with the error.
   */
  regenerate(callback: SessionCallback): this;
  regenerate(options?: { keepData?: boolean }): Promise<void>;
  regenerate(options: { keepData?: boolean }, callback: SessionCallback): this;
  regenerate(
    first?: { keepData?: boolean } | SessionCallback,
    callback?: SessionCallback,
  ): Promise<void> | this {
    const options = typeof first === "function" ? {} : (first ?? {});
    const done = typeof first === "function" ? first : callback;
    return settle(this, () => this.#state.backend.regenerate(this, options.keepData ?? true), done);
  }

  /**
   * Logs the session in as `principal` (a user ID): regenerates it (a new ID, so a fixed pre-login ID is
   * worthless), keeps the data, and indexes it under the principal, so the principal's sessions can be
   * listed and revoked.
   */
  setPrincipal(principal: string): Promise<void>;
  setPrincipal(principal: string, callback: SessionCallback): this;
  setPrincipal(principal: string, callback?: SessionCallback): Promise<void> | this {
    return settle(this, () => this.#state.backend.setPrincipal(this, principal), callback);
  }

  /** Removes the session from the store now; the response clears the cookie. */
  destroy(): Promise<void>;
  destroy(callback: SessionCallback): this;
  destroy(callback?: SessionCallback): Promise<void> | this {
    return settle(this, () => this.#state.backend.destroy(this), callback);
  }

  /** Commits the changes now (the end-of-request commit then writes only later changes). */
  save(): Promise<void>;
  save(callback: SessionCallback): this;
  save(callback?: SessionCallback): Promise<void> | this {
    return settle(this, () => this.#state.backend.save(this), callback);
  }

  /**
   * Reads the session again from the store, dropping this request's uncommitted changes. Fails with
   * SESSION_INVALID_STATE when the store no longer has it (ended meanwhile, or never saved).
   */
  reload(): Promise<void>;
  reload(callback: SessionCallback): this;
  reload(callback?: SessionCallback): Promise<void> | this {
    return settle(this, () => this.#state.backend.reload(this), callback);
  }

  /** Records activity at the next commit even if touchAfter has not passed. */
  touch(callback?: SessionCallback): this {
    this.#state.touchDue = true;
    if (callback !== undefined) process.nextTick(callback);
    return this;
  }

  /**
   * The session's cookie, as express-session apps know it: `maxAge` and `expires` read the time left;
   * setting `maxAge` gives this session its own idle timeout and a persistent cookie ("remember me"),
   * never past absoluteTimeout; `maxAge = null` makes its cookie a browser-session cookie.
   */
  get cookie(): SessionCookieView {
    return this.#state.backend.cookieView(this);
  }

  get meta(): SessionMeta {
    return this.#state.backend.meta(this);
  }
}

/** express-session's callback: called once, with the error when the operation failed. */
export type SessionCallback = (error?: unknown) => void;

/**
 * The promise of an operation, or, given a callback, the session, calling back once. The callback runs
 * outside the promise chain (process.nextTick), so an exception it throws is uncaught as in
 * express-session, not a rejection nobody handles, and it cannot be called twice.
 */
function settle<Target>(
  target: Target,
  operation: () => Promise<void>,
  callback: SessionCallback | undefined,
): Promise<void> | Target {
  if (callback === undefined) return operation();
  if (typeof callback !== "function") {
    throw new SessionError(ErrorCodes.SESSION_STATE, "the callback must be a function");
  }
  let running: Promise<void>;
  try {
    running = operation();
  } catch (error) {
    running = Promise.reject(error);
  }
  running.then(
    () => process.nextTick(callback),
    (error: unknown) => process.nextTick(callback, error),
  );
  return target;
}

/**
 * Attribute names that would shadow the session's own API: every name on its prototype, derived so that a
 * method added later is reserved too. Each becomes an accessor whose setter refuses the assignment with a
 * 400-class SessionError, in strict and sloppy code alike (`Object.assign(req.session, body)` with a
 * planted "setPrincipal" fails that request, not every later login); the commit refuses one defined
 * another way (Object.defineProperty), and a load treats a stored one as a corrupt record.
 */
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set(
  Object.getOwnPropertyNames(Session.prototype),
);
for (const name of RESERVED_ATTRIBUTES) {
  const descriptor = Object.getOwnPropertyDescriptor(Session.prototype, name) as PropertyDescriptor;
  const refuse = () => {
    throw reservedAttributeError(name);
  };
  if ("value" in descriptor) {
    const method = descriptor.value as unknown;
    Object.defineProperty(Session.prototype, name, { get: () => method, set: refuse, configurable: true });
  } else {
    Object.defineProperty(Session.prototype, name, { get: descriptor.get, set: refuse, configurable: true });
  }
}

/** The error for an attribute named after a session method (a bad request: status 400). */
export function reservedAttributeError(name: string): SessionError {
  return new SessionError(
    ErrorCodes.SESSION_STATE,
    `"${name}" is a session method and cannot be an attribute (reserved: ${[...RESERVED_ATTRIBUTES].join(", ")})`,
    { status: 400 },
  );
}

/**
 * A long loaded attribute starts as an accessor that decodes the stored value and turns itself into a
 * plain data property on first use (read or write). An attribute still an accessor at commit was never
 * touched by the request, so it cannot have changed, nested mutations included, and is neither decoded
 * nor re-encoded: a request that reads `user` pays nothing for a large `cart`.
 *
 * The accessor functions are shared by every session for one attribute name (they find the value through
 * the session they are called on): no closures per request, and V8 keeps one object shape for sessions
 * of the same attributes. Bounded, for apps that name attributes after data.
 */
const MAX_SHARED_ACCESSORS = 1_000;
const sharedAccessors = new Map<string, PropertyDescriptor>();

function untouchedAccessor(nameInReply: string): PropertyDescriptor {
  const shared = sharedAccessors.get(nameInReply);
  if (shared !== undefined) return shared;
  // The name is a slice of one session's Redis reply: the shared accessor must not keep that reply alive.
  const name = unsharedCopy(nameInReply);
  const accessor: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: Session) {
      const value = readLongAttribute(this, name);
      // Unless the read found the record corrupt and emptied the session.
      if (!stateOf(this).corrupt) defineDataAttribute(this, name, value);
      return value;
    },
    set(this: Session, next: unknown) {
      forgetLongAttribute(this, name);
      defineDataAttribute(this, name, next);
    },
  };
  if (sharedAccessors.size < MAX_SHARED_ACCESSORS) sharedAccessors.set(name, accessor);
  return accessor;
}

/** Assignment of "__proto__" would set the prototype instead of making an own data property. */
function isPlainAssignable(name: string): boolean {
  return name !== "__proto__";
}

function defineDataAttribute(session: Session, name: string, value: unknown): void {
  Object.defineProperty(session, name, { value, enumerable: true, writable: true, configurable: true });
}

/** True when the request never read nor assigned the attribute since it was loaded. */
export function isUntouchedAttribute(session: Session, name: string): boolean {
  // The map answers for short attributes without a descriptor; the descriptor confirms a long one is
  // still its accessor (it may have been deleted unread and assigned again).
  return isUnread(session, name) && Object.getOwnPropertyDescriptor(session, name)?.get !== undefined;
}

export function sessionState(session: Session): SessionState {
  return stateOf(session);
}

/**
 * Replaces the session's attributes with a stored record's (reload): what the request changed is dropped.
 * Throws like the constructor when a short value does not decode or names a method.
 */
export function replaceAttributes(session: Session, attributes: Iterable<[string, string]>): void {
  for (const name of Object.keys(session)) delete (session as unknown as Record<string, unknown>)[name];
  assignStored(session, attributes);
}
