import { ErrorCodes, SessionError } from "../common/errors.js";
import { sessionDeadline } from "../store/record-meta.js";
import type { SessionConfig } from "./session-options.js";
import type { SessionCookieView, SessionState } from "./session-state.js";

/**
 * `session.cookie`: what express-session apps read and set on it, mapped onto sessionkit's deadlines.
 * The cookie's life is the session's: a persistent cookie carries Max-Age = time left until the session's
 * deadline. Setting `maxAge` ("remember me") gives this one session its own idle timeout, stored in its
 * record ($i), so Redis's TTL, the expiry sweeper and the principal index all use it; the absolute
 * deadline still ends it, so no session outlives absoluteTimeout. Path, domain, secure, httpOnly and
 * sameSite are the app's cookie options, the same for every session: read-only here.
 */
export class SessionCookie implements SessionCookieView {
  readonly #state: SessionState;
  readonly #config: SessionConfig;

  constructor(state: SessionState, config: SessionConfig) {
    this.#state = state;
    this.#config = config;
  }

  /** Milliseconds until the cookie (and the session) expires; null for a browser-session cookie. */
  get maxAge(): number | null {
    if (!isPersistent(this.#state, this.#config)) return null;
    return Math.max(0, sessionDeadline(this.#state.times, this.#config.idleTimeoutMs) - this.#config.now());
  }

  set maxAge(ms: number | null) {
    if (ms === null || ms === undefined) {
      setLifetime(this.#state, undefined, "browser-session");
      return;
    }
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) {
      throw new SessionError(
        ErrorCodes.SESSION_STATE,
        `cookie.maxAge must be a number of milliseconds > 0, or null for a browser-session cookie (got ${String(ms)})`,
      );
    }
    setLifetime(this.#state, Math.min(Math.ceil(ms), this.#config.absoluteTimeoutMs), "persistent");
  }

  get expires(): Date | null {
    const maxAge = this.maxAge;
    return maxAge === null ? null : new Date(this.#config.now() + maxAge);
  }

  /** `expires = date` is `maxAge = date - now`; null or false: a browser-session cookie. */
  set expires(date: Date | null) {
    if (date === null || date === undefined || (date as unknown) === false) {
      this.maxAge = null;
      return;
    }
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new SessionError(ErrorCodes.SESSION_STATE, "cookie.expires must be a valid Date, or null");
    }
    this.maxAge = Math.max(1, date.getTime() - this.#config.now());
  }

  /** The idle timeout of this session (its own, or the app's) while its cookie is persistent; else null. */
  get originalMaxAge(): number | null {
    if (!isPersistent(this.#state, this.#config)) return null;
    return this.#state.times.idleTimeoutMs ?? this.#config.idleTimeoutMs;
  }

  get path(): string {
    return this.#config.cookies.options.path;
  }

  get domain(): string | undefined {
    return this.#config.cookies.options.domain;
  }

  get httpOnly(): boolean {
    return this.#config.cookies.options.httpOnly;
  }

  get secure(): boolean {
    const { secure } = this.#config.cookies.options;
    return secure === "auto" ? this.#state.secureRequest : secure;
  }

  get sameSite(): "lax" | "strict" | "none" {
    return this.#config.cookies.options.sameSite;
  }

  toJSON(): Record<string, unknown> {
    return {
      maxAge: this.maxAge,
      expires: this.expires,
      originalMaxAge: this.originalMaxAge,
      path: this.path,
      domain: this.domain,
      httpOnly: this.httpOnly,
      secure: this.secure,
      sameSite: this.sameSite,
    };
  }
}

// An assignment to an app-wide cookie option would silently do nothing: refuse it, naming the option.
for (const option of ["path", "domain", "httpOnly", "secure", "sameSite"] as const) {
  const descriptor = Object.getOwnPropertyDescriptor(SessionCookie.prototype, option) as PropertyDescriptor;
  Object.defineProperty(SessionCookie.prototype, option, {
    ...descriptor,
    set() {
      throw new SessionError(
        ErrorCodes.SESSION_STATE,
        `cookie.${option} is the same for every session: set it in the options, session({ cookie: { ${option} } })`,
      );
    },
  });
}

function isPersistent(state: SessionState, config: SessionConfig): boolean {
  return state.cookieKind === undefined
    ? config.cookies.options.persistent
    : state.cookieKind === "persistent";
}

function setLifetime(
  state: SessionState,
  idleTimeoutMs: number | undefined,
  kind: "persistent" | "browser-session",
): void {
  if (state.destroyed) throw new SessionError(ErrorCodes.SESSION_STATE, "the session was destroyed");
  if (idleTimeoutMs === undefined) delete state.times.idleTimeoutMs;
  else state.times.idleTimeoutMs = idleTimeoutMs;
  state.cookieKind = kind;
  state.lifetimeChanged = true;
  // The new lifetime runs from now: the write slides the deadline and the response re-sends the cookie.
  state.touchDue = true;
  state.cookieDue = true;
}
