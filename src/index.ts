export { typedJsonCodec } from "./codecs/typed-json-codec.js";
export type { ValueCodec } from "./codecs/value-codec.js";
export { CookieSigner, type UnsignResult } from "./core/cookie-signer.js";
export { type Diagnostic, type DiagnosticCode, diagnosticChannel } from "./core/diagnostics.js";
export { type Duration, toMilliseconds } from "./core/duration.js";
export {
  type ErrorCode,
  ErrorCodes,
  SessionCodecError,
  SessionConfigError,
  SessionError,
  SessionStoreError,
} from "./core/errors.js";
export {
  RESERVED_ATTRIBUTES,
  Session,
  type SessionData,
  type SessionMeta,
  type SessionWithData,
} from "./core/session.js";
export { generateSessionId, hashSessionId } from "./core/session-id.js";
export { createSessionManager, SessionManager, type SessionRequest } from "./core/session-manager.js";
export type { SessionCookieOptions, SessionOptions } from "./core/session-options.js";
export type { RedisOption } from "./redis/connect.js";
export type { IoredisClient } from "./redis/ioredis-connection.js";
export type { NodeRedisClient } from "./redis/node-redis-connection.js";
export { createKeyLayout, type KeyLayout } from "./store/key-layout.js";
export { createMemoryStore, MemoryStore, type MemoryStoreOptions } from "./store/memory-store.js";
export { createRedisStore, RedisStore, type RedisStoreOptions } from "./store/redis-store.js";
export type {
  SessionStore,
  SessionWrite,
  StoredFields,
  StoredRecord,
  WriteOutcome,
} from "./store/session-store.js";
