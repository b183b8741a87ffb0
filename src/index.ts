// What apps receive and pass; internals (cookie signing, key building, durations) are not part of the API.
export { typedJsonCodec } from "./codecs/typed-json-codec.js";
export type { ValueCodec } from "./codecs/value-codec.js";
export { type Diagnostic, type DiagnosticCode, diagnosticChannel } from "./common/diagnostics.js";
export type { Duration } from "./common/duration.js";
export {
  type ErrorCode,
  ErrorCodes,
  SessionCodecError,
  SessionConfigError,
  SessionError,
  SessionStoreError,
} from "./common/errors.js";
export { createSessionManager, type SessionOptions } from "./create-session-manager.js";
export type { RedisOption } from "./redis/connection/connect.js";
export type { IoredisClient } from "./redis/connection/ioredis-connection.js";
export type { NodeRedisClient } from "./redis/connection/node-redis-connection.js";
export {
  createRedisStore,
  RedisSessionStore,
  type RedisSessionStoreOptions,
  RedisStore,
  type RedisStoreOptions,
} from "./redis/redis-session-store.js";
export type { RedisReport } from "./redis/verify-redis.js";
export type { PrincipalSession } from "./session/principal-directory.js";
export {
  RESERVED_ATTRIBUTES,
  Session,
  type SessionCallback,
  type SessionData,
  type SessionWithData,
} from "./session/session.js";
export type {
  ConsumeOptions,
  SessionEvent,
  SessionEventLog,
  SessionEventType,
  SubscribeOptions,
  Subscription,
} from "./session/session-events.js";
export { SessionManager, type SessionRequest } from "./session/session-manager.js";
export type { SessionCookieOptions } from "./session/session-options.js";
export type { SessionCookieView, SessionMeta } from "./session/session-state.js";
export { createMemoryStore, MemoryStore, type MemoryStoreOptions } from "./store/memory-store.js";
export {
  type AdminStore,
  type IndexedSession,
  type InspectedSession,
  isAdminStore,
  isPrincipalIndexStore,
  type PrincipalIndexStore,
  type RevokeOptions,
  type SessionStore,
  type SessionWrite,
  type StoredFields,
  type StoredRecord,
  type WriteOutcome,
} from "./store/session-store.js";
