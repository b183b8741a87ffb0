/**
 * The port of a staged migration from another session store (cookie-session, koa-session, express-session
 * + connect-redis, or an app's own): how to read a request's legacy session, write it back and end it.
 * Sources live in src/migrate/; the manager runs the stages (session/migration.ts).
 */

/** What a source needs of the request and gives the response. */
export interface LegacyRequest {
  cookieHeader: string | undefined;
  secure: boolean;
}

/** A request's legacy session, as its source read it. */
export interface LegacySession {
  /**
   * A secret identity of this legacy session, the same on every request that carries it (an
   * express-session ID; a cookie-session cookie's value): imports derive the sessionkit session's ID from
   * it, so two parallel first requests import one session. Never logged.
   */
  identity: string;
  /** The session's attributes (plain JSON values). */
  data: Record<string, unknown>;
  /** Epoch ms when the legacy session expires, when it says. */
  expiresAt?: number;
  /** Source-specific state write() and clear() need (an express-session cookie's original settings). */
  state?: unknown;
}

export interface LegacySource {
  /** Names the source in diagnostics and import IDs: "cookie-session", "express-session"... */
  readonly name: string;
  /** Whether the request carries the source's cookie at all: a cheap test before read(). */
  hasCookie(request: LegacyRequest): boolean;
  /**
   * The request's legacy session; null when it has none, "invalid" when its cookie does not verify (never
   * imported; counted).
   */
  read(request: LegacyRequest): Promise<LegacySession | null | "invalid">;
  /**
   * Writes `data` as the request's legacy session (creating one when `current` is null): the session as
   * it now is, and the Set-Cookie values the response must carry. Called only when the data changed.
   */
  write(
    request: LegacyRequest,
    current: LegacySession | null,
    data: Record<string, unknown>,
  ): Promise<{ session: LegacySession; setCookies: string[] }>;
  /** Ends the legacy session (deletes its record, clears its cookie); returns Set-Cookie values. */
  clear(request: LegacyRequest, current: LegacySession): Promise<string[]>;
}

/**
 * The stages of a move to sessionkit, each deployable and reversible one step at a time:
 * - "legacy-primary": the legacy session is the truth; every change goes to both, and every visitor with
 *   legacy data gets a sessionkit session mirroring it.
 * - "sessionkit-primary": sessionkit is read first; a visitor without a sessionkit session is imported
 *   from the legacy one; changes still go to both (a rollback loses nothing).
 * - "sessionkit-only": legacy sessions are imported on first sight and then ended; nothing legacy is
 *   written.
 */
export type MigrationStage = "legacy-primary" | "sessionkit-primary" | "sessionkit-only";

export interface MigrationOptions {
  from: LegacySource;
  stage: MigrationStage;
}
