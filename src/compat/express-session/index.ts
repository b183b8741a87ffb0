/**
 * sessionkit/express-session: a Redis store for express-session and @fastify/session, a drop-in for
 * connect-redis (`new RedisStore({ client })`) that reads the sessions connect-redis wrote.
 */
// The root entry's declarations load with this subpath's, so `declare module "sessionkit" { interface
// SessionData {...} }` in a file that imports only this subpath finds the module (TS2664 otherwise).
export type {} from "../../index.js";
export type { Callback } from "./callbacks.js";
export { HANDLE_PREFIX, RedisStore } from "./redis-store.js";
export type { TtlOption } from "./session-ttl.js";
export type { RedisStoreConnection, RedisStoreOptions, RedisStoreSettings } from "./store-options.js";
export type { ListedSession, Serializer, StoredSession, StoredSessionCookie } from "./types.js";
