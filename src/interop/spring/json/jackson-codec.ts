import { SessionCodecError } from "../../../common/errors.js";
import type { ForeignValue } from "../../foreign-value.js";
import { DEFAULT_SPRING_LIMITS, type SpringAttributeCodec, type SpringLimits } from "../spring-codec.js";
import {
  CLASS_PROPERTY,
  effectiveLimits,
  type JacksonEntry,
  type JacksonNode,
  stringNode,
} from "./jackson-node.js";
import { securityContextPrincipal } from "./jackson-principal.js";
import { readJackson } from "./jackson-reader.js";
import { INTEGER_WRAPPERS, shapeOf } from "./jackson-types.js";
import { jacksonToValue, valueToJackson } from "./jackson-view.js";
import { writeJackson } from "./jackson-writer.js";
import { javaHashMapOrder } from "./java-hash-map.js";

export type { JacksonNode } from "./jackson-node.js";

/**
 * Input writeJackson would not give back byte for byte (whitespace, escapes Jackson does not use): the
 * bytes, for encode() of the node decode() returned.
 */
const readBytes = new WeakMap<JacksonNode, Uint8Array>();

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * Spring Session's hash values as GenericJackson2JsonRedisSerializer (spring-data-redis 3.x) writes them:
 * one UTF-8 JSON document each, Java types as Jackson's default typing records them in "@class"
 * properties and `[class, value]` wrappers, Spring Security's context as its Jackson mixins write it.
 */
export function jacksonCodec(limits: Partial<SpringLimits> = {}): SpringAttributeCodec<JacksonNode> {
  const bounds = effectiveLimits({ ...DEFAULT_SPRING_LIMITS, ...limits });
  return {
    name: "json",
    decode(bytes: Uint8Array): JacksonNode {
      const { node, canonical } = readJackson(bytes, bounds);
      if (!canonical) readBytes.set(node, new Uint8Array(bytes));
      return node;
    },
    encode(node: JacksonNode): Uint8Array {
      const kept = readBytes.get(node);
      return kept === undefined ? writeJackson(node) : new Uint8Array(kept);
    },
    toValue(node: JacksonNode): ForeignValue {
      return jacksonToValue(node);
    },
    fromValue(value: unknown): JacksonNode {
      return valueToJackson(value, bounds);
    },
    long(value: number): JacksonNode {
      if (!Number.isSafeInteger(value))
        throw new SessionCodecError(`a java.lang.Long must be an integer, not ${value}`);
      return { k: "number", text: String(value), javaLong: true };
    },
    int(value: number): JacksonNode {
      if (!Number.isInteger(value) || value < INT_MIN || value > INT_MAX)
        throw new SessionCodecError(`a java.lang.Integer must be a 32-bit integer, not ${value}`);
      return { k: "number", text: String(value) };
    },
    numberOf(node: JacksonNode): number | undefined {
      if (node.k === "number") return Number(node.text);
      const shape = shapeOf(node);
      if (shape.kind === "wrapper" && INTEGER_WRAPPERS.has(shape.className) && shape.payload.k === "number")
        return Number(shape.payload.text);
      return undefined;
    },
    stringOf(node: JacksonNode): string | undefined {
      return node.k === "string" ? node.value : undefined;
    },
    securityContextPrincipal,
    map(entries: ReadonlyArray<readonly [string, JacksonNode]>): Uint8Array {
      const fields = javaHashMapOrder(entries).map(([key, node]): JacksonEntry => {
        if (key === CLASS_PROPERTY)
          throw new SessionCodecError(
            `a map with a "${CLASS_PROPERTY}" key cannot be written as Spring JSON`,
          );
        return [stringNode(key), node];
      });
      return writeJackson({
        k: "object",
        entries: [[stringNode(CLASS_PROPERTY), stringNode("java.util.HashMap")], ...fields],
      });
    },
  };
}
