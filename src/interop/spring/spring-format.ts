import { randomUUID } from "node:crypto";
import { type Duration, toMilliseconds } from "../../common/duration.js";
import { SessionConfigError } from "../../common/errors.js";
import type { ForeignValue } from "../foreign-value.js";
import type { SpringAttributeCodec } from "./spring-codec.js";

/** The attribute Spring's FindByIndexNameSessionRepository indexes: a session's principal name. */
export const SPRING_PRINCIPAL_NAME_ATTRIBUTE =
  "org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME";
/** The attribute Spring Security keeps the logged-in user in (HttpSessionSecurityContextRepository). */
export const SPRING_SECURITY_CONTEXT_ATTRIBUTE = "SPRING_SECURITY_CONTEXT";

export interface SpringFormatOptions {
  /** setRedisNamespace / spring.session.redis.namespace. Default "spring:session". */
  namespace?: string;
  /**
   * The app uses RedisIndexedSessionRepository (@EnableRedisIndexedHttpSession, or
   * spring.session.redis.repository-type=indexed): Node then keeps its principal index, its expiration
   * keys and its "created" message the way Spring does. Default false (RedisSessionRepository, Boot's
   * default: one hash, no index).
   */
  indexed?: boolean;
  /** maxInactiveInterval of a session Node creates (server.servlet.session.timeout). Default "30m". */
  maxInactiveInterval?: Duration;
  /** The cookie (DefaultCookieSerializer cookieName). Default "SESSION". */
  cookieName?: string;
  /** DefaultCookieSerializer useBase64Encoding: the cookie holds the ID in Base64. Default true. */
  base64Cookie?: boolean;
  /** The Redis database of the "created" channel name (`<ns>:event:<db>:created:<id>`). Default 0. */
  database?: number;
}

/** One Spring app's session layout in Redis, with the serializer its hash values go through. */
export interface SpringFormat<N = unknown> {
  readonly name: string;
  readonly cookieName: string;
  readonly codec: SpringAttributeCodec<N>;
  readonly indexed: boolean;
  /** maxInactiveInterval of a new session, in seconds. */
  readonly maxInactiveSeconds: number;
  /** The session ID a cookie value names, or undefined when it cannot be one (then it is never looked up). */
  idOf(cookieValue: string): string | undefined;
  /** The cookie value of a session ID. */
  cookieValueOf(id: string): string;
  /** The hash of the session a cookie names, or undefined (see idOf). */
  keyFor(cookieValue: string): string | undefined;
  /** A new session ID, as Spring's UuidSessionIdGenerator makes them. */
  newId(): string;
  toValue(node: N): ForeignValue;
  fromValue(value: unknown): N;
  readonly keys: {
    session(id: string): string;
    /** The indexed repository's "shadow" key: its expiry is what fires Spring's expired event. */
    shadow(id: string): string;
    /** The set of shadow keys that expire in the minute ending at `minuteMs`. */
    expirations(minuteMs: number): string;
    principal(name: string): string;
    createdChannel(id: string): string;
  };
}

/** Spring's session IDs are UUIDs (UuidSessionIdGenerator). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The layout of Spring Session's Redis repositories (see spring.ts), over a codec. */
export function springFormat<N>(
  codec: SpringAttributeCodec<N>,
  options: SpringFormatOptions = {},
): SpringFormat<N> {
  const namespace = `${options.namespace ?? "spring:session"}:`;
  const cookieName = options.cookieName ?? "SESSION";
  const base64Cookie = options.base64Cookie ?? true;
  const database = options.database ?? 0;
  if (!Number.isInteger(database) || database < 0)
    throw new SessionConfigError("spring({ database }) must be a database number");
  const maxInactiveMs = toMilliseconds(
    options.maxInactiveInterval ?? "30m",
    "spring({ maxInactiveInterval })",
  );
  // sessionkit writes no key without a TTL; Spring's "never expires" (a negative interval) is not offered.
  if (maxInactiveMs < 1000)
    throw new SessionConfigError("spring({ maxInactiveInterval }) must be at least 1s");

  const idOf = (cookieValue: string): string | undefined => {
    const id = base64Cookie ? Buffer.from(cookieValue, "base64").toString("latin1") : cookieValue;
    // Base64 decoding skips characters it does not know: only a canonical cookie names the session.
    if (base64Cookie && Buffer.from(id, "latin1").toString("base64") !== cookieValue) return undefined;
    return UUID.test(id) ? id : undefined;
  };
  const keys = {
    session: (id: string) => `${namespace}sessions:${id}`,
    shadow: (id: string) => `${namespace}sessions:expires:${id}`,
    expirations: (minuteMs: number) => `${namespace}expirations:${minuteMs}`,
    principal: (name: string) => `${namespace}index:${SPRING_PRINCIPAL_NAME_ATTRIBUTE}:${name}`,
    createdChannel: (id: string) => `${namespace}event:${database}:created:${id}`,
  };
  return {
    name: `spring-${codec.name}${options.indexed ? "-indexed" : ""}`,
    cookieName,
    codec,
    indexed: options.indexed ?? false,
    maxInactiveSeconds: Math.floor(maxInactiveMs / 1000),
    idOf,
    cookieValueOf: (id) => (base64Cookie ? Buffer.from(id, "latin1").toString("base64") : id),
    keyFor(cookieValue) {
      const id = idOf(cookieValue);
      return id === undefined ? undefined : keys.session(id);
    },
    newId: () => randomUUID(),
    toValue: (node) => codec.toValue(node),
    fromValue: (value) => codec.fromValue(value),
    keys,
  };
}
