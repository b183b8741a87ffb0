// sessionkit/interop: read and write the sessions of Rails, Django, PHP and Spring apps that share the Redis.
export { type DjangoOptions, django } from "./django.js";
export {
  type ForeignSessionHandle,
  type ForeignSessionMiddlewareOptions,
  foreignSession,
} from "./express.js";
export type { ForeignFormat, ForeignRecord } from "./foreign-format.js";
export {
  createForeignSessions,
  type ForeignChanges,
  type ForeignSessions,
  type ForeignSessionsOptions,
  type LoadedForeignSession,
  type WriteOptions,
} from "./foreign-sessions.js";
export {
  ForeignBytes,
  ForeignDecimal,
  type ForeignObject,
  ForeignOpaque,
  type ForeignSessionData,
  ForeignSet,
  ForeignTime,
  ForeignTuple,
  type ForeignValue,
  PyDate,
  PyDateTime,
  PyTime,
  PyTimedelta,
  RubySymbol,
} from "./foreign-value.js";
export type { MarshalLimits } from "./marshal/marshal-node.js";
export { isIndifferent, markIndifferent } from "./marshal/marshal-view.js";
export type { PhpLimits } from "./php/php-node.js";
export type { PhpSerializeHandler } from "./php/php-session.js";
export type { PhpObjects } from "./php/php-view.js";
export {
  createPhpSessions,
  type PhpFormat,
  type PhpLockOptions,
  type PhpOptions,
  type PhpSessions,
  php,
} from "./php.js";
export type { PickleLimits } from "./pickle/pickle-node.js";
export type { PickleProtocol } from "./pickle/pickle-writer.js";
export { type RailsOptions, rails } from "./rails.js";
export type { JdkNode } from "./spring/jdk/jdk-codec.js";
export type { JacksonNode } from "./spring/json/jackson-codec.js";
export type { SpringAttributeCodec, SpringLimits } from "./spring/spring-codec.js";
export {
  SPRING_PRINCIPAL_NAME_ATTRIBUTE,
  SPRING_SECURITY_CONTEXT_ATTRIBUTE,
  type SpringFormat,
  type SpringFormatOptions,
} from "./spring/spring-format.js";
export type { SpringRecord } from "./spring/spring-record.js";
export {
  createSpringSessions,
  type SpringPrincipalSession,
  type SpringSessions,
} from "./spring/spring-sessions.js";
export { type SpringOptions, spring } from "./spring.js";
