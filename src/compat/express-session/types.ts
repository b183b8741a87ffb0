/**
 * The session shapes the store sees, declared here rather than imported: express-session's and
 * @fastify/session's own types cannot both be loaded with sessionkit's adapters (each declares
 * `req.session` its own way), and neither package is needed by the other's users. Both frameworks'
 * sessions are assignable to these.
 */
export interface StoredSessionCookie {
  /** A Date in memory, an ISO string once serialised; null for a browser-session cookie. */
  expires?: Date | string | null;
  originalMaxAge?: number | null;
}

export interface StoredSession {
  cookie: StoredSessionCookie;
}

/** A session as all() lists it: `id` is what destroy() accepts for it (see RedisStore.ids). */
export type ListedSession<S = StoredSession> = S & { id: string };

/** connect-redis's `serializer` option; JSON by default. */
export interface Serializer {
  stringify(value: unknown): string;
  parse(text: string): unknown;
}
