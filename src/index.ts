export { typedJsonCodec } from "./codecs/typed-json-codec.js";
export type { ValueCodec } from "./codecs/value-codec.js";
export { type Diagnostic, type DiagnosticCode, diagnosticChannel } from "./common/diagnostics.js";
export { type Duration, toMilliseconds } from "./common/duration.js";
export {
  type ErrorCode,
  ErrorCodes,
  SessionCodecError,
  SessionConfigError,
  SessionError,
  SessionStoreError,
} from "./common/errors.js";
export type { RedisOption } from "./redis/connection/connect.js";
export type { IoredisClient } from "./redis/connection/ioredis-connection.js";
export type { NodeRedisClient } from "./redis/connection/node-redis-connection.js";
export { createKeyLayout, type KeyLayout } from "./redis/key-layout.js";
export { createRedisStore, RedisStore, type RedisStoreOptions } from "./redis/redis-session-store.js";
export { CookieSigner, type UnsignResult } from "./session/cookies/cookie-signer.js";
export {
  RESERVED_ATTRIBUTES,
  Session,
  type SessionData,
  type SessionMeta,
  type SessionWithData,
} from "./session/session.js";
export { generateSessionId, hashSessionId } from "./session/session-id.js";
export { createSessionManager, SessionManager, type SessionRequest } from "./session/session-manager.js";
export type { SessionCookieOptions, SessionOptions } from "./session/session-options.js";
export { createMemoryStore, MemoryStore, type MemoryStoreOptions } from "./store/memory-store.js";
export type {
  SessionStore,
  SessionWrite,
  StoredFields,
  StoredRecord,
  WriteOutcome,
} from "./store/session-store.js";
