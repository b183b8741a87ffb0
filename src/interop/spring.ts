import { SessionConfigError } from "../common/errors.js";
import { jdkCodec } from "./spring/jdk/jdk-codec.js";
import { jacksonCodec } from "./spring/json/jackson-codec.js";
import type { SpringAttributeCodec, SpringLimits } from "./spring/spring-codec.js";
import { type SpringFormat, type SpringFormatOptions, springFormat } from "./spring/spring-format.js";

export interface SpringOptions extends SpringFormatOptions {
  /**
   * The app's springSessionDefaultRedisSerializer: "jdk", Java serialization (Spring's default,
   * JdkSerializationRedisSerializer), or "json", Jackson with type hints (GenericJackson2JsonRedisSerializer).
   * Every value Node writes goes through the same one, so new attributes are JSON only for a JSON app.
   */
  attributes: "jdk" | "json";
  limits?: Partial<SpringLimits>;
}

const CODECS: Record<SpringOptions["attributes"], (limits?: Partial<SpringLimits>) => SpringAttributeCodec> =
  {
    jdk: jdkCodec as (limits?: Partial<SpringLimits>) => SpringAttributeCodec,
    json: jacksonCodec as (limits?: Partial<SpringLimits>) => SpringAttributeCodec,
  };

/**
 * Spring Session's Redis layout (spring-session-data-redis 3): one hash per session,
 * `<namespace>:sessions:<id>` with creationTime, lastAccessedTime, maxInactiveInterval and
 * `sessionAttr:<name>` fields; with `indexed`, RedisIndexedSessionRepository's principal index, shadow
 * keys, expiration sets and "created" message. Cookie `SESSION`, the ID in Base64.
 */
export function spring(options: SpringOptions): SpringFormat {
  const makeCodec = Object.hasOwn(CODECS, options.attributes) ? CODECS[options.attributes] : undefined;
  if (makeCodec === undefined) throw new SessionConfigError('spring({ attributes }) must be "jdk" or "json"');
  return springFormat(makeCodec(options.limits), options);
}
