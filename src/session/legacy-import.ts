import { sessionDeadline } from "../store/record-meta.js";
import type { SessionWrite } from "../store/session-store.js";
import { changeSetOf } from "./change-set.js";
import type { LegacySession } from "./legacy-source.js";
import { RESERVED_ATTRIBUTES, type Session } from "./session.js";
import { sessionKeyId } from "./session-id.js";
import type { SessionConfig } from "./session-options.js";
import { timesToFields } from "./session-record.js";
import { startTimes } from "./session-state.js";

/** The first write of an imported session, as a request that imports it would send it. */
export interface LegacyImportWrite {
  /** The keyId of the session's derived ID (CookieIssuer.importedId): the one every request names. */
  keyId: string;
  write: SessionWrite & { mode: "create" };
  /** Legacy attributes named after a session method: not imported (migration.ts skips them too). */
  skipped: string[];
}

/**
 * The record a request's import of `legacy` writes (migration.ts: freshWithId, the legacy data assigned,
 * then SessionWriter.create), built without a request, for the bulk converter (`sessionkit migrate
 * connect-redis`): the same derived ID, times (absolute deadline never past the legacy expiry nor
 * absoluteTimeout), attribute fields (changeSetOf: codec, seal, limits) and TTL, without device fields
 * or an events retention. null when the legacy session has ended by `now` or holds nothing (a request
 * stores nothing then). Throws what changeSetOf throws: SESSION_TOO_LARGE, a value the codec refuses.
 */
export function legacyImportWrite(
  config: Pick<
    SessionConfig,
    "cookies" | "absoluteTimeoutMs" | "idleTimeoutMs" | "codec" | "seal" | "limits"
  >,
  source: string,
  legacy: LegacySession,
  now: number,
): LegacyImportWrite | null {
  const times = startTimes(now, config.absoluteTimeoutMs, legacy.expiresAt);
  const ttlMs = sessionDeadline(times, config.idleTimeoutMs) - now;
  if (ttlMs <= 0) return null;
  const data: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const [name, value] of Object.entries(legacy.data)) {
    if (RESERVED_ATTRIBUTES.has(name)) skipped.push(name);
    // defineProperty: a legacy attribute may be called "__proto__".
    else Object.defineProperty(data, name, { value, enumerable: true, writable: true, configurable: true });
  }
  // A new session's change set is every attribute: changeSetOf reads only its own properties then.
  const { set } = changeSetOf(
    data as unknown as Session,
    new Map(),
    config.codec,
    config.seal,
    config.limits,
  );
  if (set.length === 0) return null;
  return {
    keyId: sessionKeyId(config.cookies.importedId(source, legacy.identity)),
    write: { mode: "create", set: [...timesToFields(times), ...set], remove: [], ttlMs },
    skipped,
  };
}
