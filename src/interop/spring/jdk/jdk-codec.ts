import { SessionCodecError } from "../../../common/errors.js";
import { DEFAULT_SPRING_LIMITS, type SpringAttributeCodec, type SpringLimits } from "../spring-codec.js";
import { javaHashMap, javaInteger, javaLong } from "./jdk-classes.js";
import { fieldOf, isInstance } from "./jdk-fields.js";
import { jdkFromValue } from "./jdk-from-value.js";
import type { JdkNode } from "./jdk-node.js";
import { readJdk } from "./jdk-reader.js";
import { securityContextPrincipal } from "./jdk-security.js";
import { jdkToValue } from "./jdk-view.js";
import { writeJdk } from "./jdk-writer.js";

export type { JdkNode } from "./jdk-node.js";

/**
 * Spring Session's default serializer (JdkSerializationRedisSerializer): every hash value is its own
 * Java serialization stream. Reading creates no Java object; what was read writes back byte for byte;
 * Node writes only JDK types a plain ObjectInputStream loads (see jdk-view.ts).
 */
export function jdkCodec(limits: Partial<SpringLimits> = {}): SpringAttributeCodec<JdkNode> {
  const bounds: SpringLimits = { ...DEFAULT_SPRING_LIMITS, ...limits };
  return {
    name: "jdk",
    decode: (bytes) => readJdk(bytes, bounds),
    encode: (node) => writeJdk(node, bounds),
    toValue: (node) => jdkToValue(node, bounds),
    fromValue: (value) => jdkFromValue(value, bounds),
    long(value) {
      if (!Number.isSafeInteger(value))
        throw new SessionCodecError(`${value} is not a whole number of milliseconds`);
      return javaLong(BigInt(value));
    },
    int: (value) => javaInteger(value),
    numberOf(node) {
      if (isInstance(node, "java.lang.Integer")) {
        const value = fieldOf(node, "value");
        return typeof value === "number" ? value : undefined;
      }
      if (isInstance(node, "java.lang.Long")) {
        const value = fieldOf(node, "value");
        return typeof value === "bigint" &&
          value >= BigInt(Number.MIN_SAFE_INTEGER) &&
          value <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(value)
          : undefined;
      }
      return undefined;
    },
    stringOf: (node) => (node.k === "string" ? node.text : undefined),
    securityContextPrincipal,
    map: (entries) => writeJdk(javaHashMap(entries), bounds),
  };
}
