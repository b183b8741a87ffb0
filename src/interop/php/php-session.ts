import { SessionCodecError } from "../../common/errors.js";
import type { PhpLimits, PhpNode } from "./php-node.js";
import { PhpReader } from "./php-reader.js";
import { hasLoneSurrogate, phpKey } from "./php-view.js";
import { PhpWriter } from "./php-writer.js";

/** session.serialize_handler: "php" (`name|value` pairs, the default) or "php_serialize" (one array). */
export type PhpSerializeHandler = "php" | "php_serialize";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const PIPE = 0x7c;

/** A session's attributes in stored order, as PHP's session decoder reads them. */
export function decodePhpSession(
  bytes: Uint8Array,
  handler: PhpSerializeHandler,
  limits: PhpLimits,
): Map<string, PhpNode> {
  const reader = new PhpReader(bytes, limits);
  const attributes = new Map<string, PhpNode>();
  if (handler === "php_serialize") {
    // An empty value is an empty session (PHP writes "a:0:{}", but reads "" as empty too).
    if (bytes.length === 0) return attributes;
    const node = reader.value();
    if (!reader.done) reader.fail("data after the session array");
    if (node.k !== "array") throw new SessionCodecError("a php_serialize session that is not an array");
    for (const [key, value] of node.entries)
      attributes.set(key.k === "int" ? String(key.value) : nameOf(key.bytes), value);
    return attributes;
  }
  while (!reader.done) {
    const at = bytes.indexOf(PIPE, reader.pos);
    // PHP stops silently at a name without "|"; sessionkit would lose those bytes on its next write.
    if (at < 0) reader.fail("a session variable name without '|'");
    const name = nameOf(bytes.subarray(reader.pos, at));
    reader.pos = at + 1;
    attributes.set(name, reader.value());
  }
  return attributes;
}

function nameOf(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SessionCodecError("a PHP session variable name that is not UTF-8");
  }
}

/** The bytes PHP's session encoder writes for these attributes (references renumbered). */
export function encodePhpSession(
  attributes: ReadonlyMap<string, PhpNode>,
  handler: PhpSerializeHandler,
): Uint8Array {
  const writer = new PhpWriter();
  if (handler === "php_serialize") {
    writer.skipNumber();
    writer.raw(`a:${attributes.size}:{`);
    for (const [name, value] of attributes) {
      writer.key(phpKey(name));
      writer.value(value);
    }
    writer.raw("}");
    return writer.bytes();
  }
  for (const [name, value] of attributes) {
    // PHP refuses to encode such a session and stores an empty one instead: refuse it up front.
    if (name.includes("|"))
      throw new SessionCodecError(`a PHP session variable name cannot contain "|" (${JSON.stringify(name)})`);
    if (hasLoneSurrogate(name)) throw new SessionCodecError("a session variable name with a lone surrogate");
    writer.raw(encoder.encode(name));
    writer.raw("|");
    writer.value(value);
  }
  return writer.bytes();
}
