import type { Diagnostic } from "../common/diagnostics.js";
import type { LegacyRequest, LegacySession, MigrationOptions } from "./legacy-source.js";
import { RESERVED_ATTRIBUTES, type Session, sessionState } from "./session.js";
import type { SessionLoader, SessionRequest } from "./session-loader.js";
import type { SessionConfig } from "./session-options.js";

/** What a commit hands the response: one Set-Cookie value, or several (a migration's legacy cookies). */
export type SetCookie = string | string[];

/** A migrating session's legacy side, kept in its state from load to commit. */
export interface MigrationState {
  request: LegacyRequest;
  /** The legacy session as read (null: none); undefined: not read (sessionkit served it alone). */
  legacy: LegacySession | null | undefined;
  /** Imported this request: a create that finds the session written is this same import. */
  imported: boolean;
  /** Stage sessionkit-only: the commit ends the legacy session. */
  endLegacy: boolean;
  /** Set-Cookie values of a save() in the handler, sent with the end-of-request commit's. */
  pending: string[];
}

/**
 * The stages of a move from another session store (session/legacy-source.ts), around the manager's own
 * load and commit. Imports derive the sessionkit ID from the legacy session's identity (CookieIssuer
 * .importedId), so parallel first requests and the bulk converter all name one session, and a create that
 * finds it written already is that same import. Everything sessionkit writes goes through the normal
 * commit: TTL, deadlines (never past the legacy expiry, nor absoluteTimeout), hashed keys, atomic writes.
 */
export class Migration {
  readonly #options: MigrationOptions;
  readonly #config: SessionConfig;
  readonly #loader: SessionLoader;

  constructor(options: MigrationOptions, config: SessionConfig, loader: SessionLoader) {
    this.#options = options;
    this.#config = config;
    this.#loader = loader;
  }

  get writesLegacy(): boolean {
    return this.#options.stage !== "sessionkit-only";
  }

  async load(request: SessionRequest): Promise<Session> {
    const { stage, from } = this.#options;
    const legacyRequest: LegacyRequest = { cookieHeader: request.cookieHeader, secure: request.secure };
    const attach = (session: Session, legacy: LegacySession | null | undefined, imported = false) => {
      const endLegacy = stage === "sessionkit-only" && legacy !== undefined && legacy !== null;
      sessionState(session).migration = { request: legacyRequest, legacy, imported, endLegacy, pending: [] };
      return session;
    };
    const native = await this.#loader.load(request);
    const nativeFound = !sessionState(native).isNew;
    // Stage sessionkit-only: a legacy cookie beside a sessionkit session (written by a stage stepped back
    // to) is read only to be ended.
    if (stage === "sessionkit-only" && nativeFound && !from.hasCookie(legacyRequest)) {
      this.#served("sessionkit", native);
      return attach(native, undefined);
    }
    const legacy = await this.#read(legacyRequest);
    if (stage !== "legacy-primary" && nativeFound) {
      // Read too, so the commit can bring the legacy copy up to date (a rollback finds it whole).
      this.#served("sessionkit", native);
      return attach(native, legacy);
    }
    if (legacy === null) {
      let session = native;
      if (nativeFound) {
        // Stage legacy-primary: no legacy session means none (the old app logged out): its mirror ends.
        await native.destroy();
        session = this.#loader.fresh(request, false);
      }
      this.#served("none", session);
      return attach(session, null);
    }
    let session = native;
    if (!nativeFound) {
      const id = this.#config.cookies.importedId(from.name, legacy.identity);
      session =
        (await this.#loader.loadById(request, id)) ??
        this.#loader.freshWithId(request, id, legacy.expiresAt ?? Number.POSITIVE_INFINITY);
    }
    const importing = sessionState(session).isNew;
    if (importing || stage === "legacy-primary") this.#assignLegacy(session, legacy, !importing);
    if (importing) this.#report("SESSION_MIGRATION_IMPORTED", `imported a ${from.name} session`, session);
    this.#served(stage === "legacy-primary" ? "legacy" : "both", session);
    return attach(session, legacy, importing);
  }

  /**
   * Commits the sessionkit side (`commitNative`), then the legacy side: a change is written back while
   * the stage keeps the legacy store up to date, a logout or a login (new ID) ends the legacy session too
   * (a rollback must not find it logged in, nor under a pre-login ID), and stage sessionkit-only ends a
   * legacy session once it is imported.
   */
  async commit(
    session: Session,
    migration: MigrationState,
    commitNative: () => Promise<SetCookie | undefined>,
  ): Promise<SetCookie | undefined> {
    const state = sessionState(session);
    const rotated = state.replaces !== undefined || state.previousKeyId !== undefined;
    const native = await commitNative();
    const cookies = migration.pending.splice(0);
    if (native !== undefined) cookies.push(...[native].flat());
    const { from } = this.#options;
    const { request } = migration;
    let legacy = migration.legacy;
    if (state.destroyed || state.corrupt) {
      legacy = legacy === undefined ? await this.#read(request) : legacy;
      if (legacy) cookies.push(...(await from.clear(request, legacy)));
      legacy = null;
    } else if (!this.writesLegacy) {
      if (migration.endLegacy && legacy) cookies.push(...(await from.clear(request, legacy)));
      legacy = null;
    } else {
      legacy = legacy === undefined ? await this.#read(request) : legacy;
      const data = plainData(session);
      const write = async (current: LegacySession | null) => {
        const written = await from.write(request, current, data);
        cookies.push(...written.setCookies);
        legacy = written.session;
      };
      if (rotated) {
        // A login's new ID gets a new legacy session too: the pre-login legacy ID must not carry the login.
        if (legacy) cookies.push(...(await from.clear(request, legacy)));
        await write(null);
      } else if (
        legacy === null ? Object.keys(data).length > 0 : canonicalJson(legacy.data) !== canonicalJson(data)
      ) {
        // A change, or a legacy copy missing or behind (after a step back from sessionkit-only).
        await write(legacy);
      }
    }
    // A later commit of this request (after a save()) compares with what is written now.
    migration.legacy = legacy;
    migration.imported = false;
    migration.endLegacy = false;
    return cookies.length === 0 ? undefined : cookies.length === 1 ? cookies[0] : cookies;
  }

  async #read(request: LegacyRequest): Promise<LegacySession | null> {
    const legacy = await this.#options.from.read(request);
    if (legacy === "invalid") {
      this.#report("SESSION_MIGRATION_LEGACY_INVALID", `a ${this.#options.from.name} cookie did not verify`);
      return null;
    }
    if (legacy !== null && legacy.expiresAt !== undefined && legacy.expiresAt <= this.#config.now())
      return null;
    return legacy;
  }

  /**
   * The legacy data as the session's attributes. With `compare` (a mirror that exists), a difference
   * between the two before this request is divergence: reported so an operator knows the stage is unsafe.
   */
  #assignLegacy(session: Session, legacy: LegacySession, compare: boolean): void {
    const target = session as unknown as Record<string, unknown>;
    const before = compare ? canonicalJson(plainData(session)) : undefined;
    for (const name of Object.keys(target)) if (!Object.hasOwn(legacy.data, name)) delete target[name];
    for (const [name, value] of Object.entries(legacy.data)) {
      if (RESERVED_ATTRIBUTES.has(name)) {
        this.#report(
          "SESSION_MIGRATION_SKIPPED",
          `legacy attribute "${name}" is a session method: not imported`,
        );
        continue;
      }
      // defineProperty: a legacy attribute may be called "__proto__".
      Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
    }
    if (before !== undefined && before !== canonicalJson(plainData(session))) {
      this.#report(
        "SESSION_MIGRATION_DIVERGED",
        "the sessionkit mirror differed from the legacy session",
        session,
      );
    }
  }

  #served(by: "legacy" | "both" | "sessionkit" | "none", session: Session): void {
    this.#report("SESSION_MIGRATION_SERVED", `served by ${by}`, session);
  }

  #report(code: Diagnostic["code"], message: string, session?: Session): void {
    const keyId = session === undefined ? undefined : sessionState(session).keyId;
    this.#config.report(keyId === undefined ? { code, message } : { code, message, keyId, keyHash: keyId });
  }
}

/** A session's attributes as plain data (what a legacy store holds). */
function plainData(session: Session): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(session)) {
    Object.defineProperty(data, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return data;
}

/** JSON with object keys sorted: the same data compares equal whatever order its keys were set in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort()) {
      Object.defineProperty(sorted, key, {
        value: (inner as Record<string, unknown>)[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return sorted;
  });
}
