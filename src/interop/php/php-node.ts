/**
 * A PHP `serialize()` value as a tree: what php-reader.ts reads without creating anything, and what
 * php-writer.ts writes back byte for byte. Every value that PHP's unserialize numbers (all but `R:`) is a
 * node object of its own, so a reference (`R:` to a variable, `r:` to an object) points at its target
 * node and is renumbered when the session is written again with attributes added or removed.
 *
 * Objects (`O:`, `C:`) and enums (`E:`) are never instantiated: an `O:` keeps its class name and its
 * properties as nodes, a `C:` its payload as bytes, and all three are written back as read.
 */
export type PhpNode =
  | { readonly k: "null" }
  | { readonly k: "bool"; readonly value: boolean }
  /** `i:` (PHP int: 64-bit). `text` is the digits as read ("+5", "007" are legal), for byte-exact writes. */
  | { readonly k: "int"; readonly value: bigint; readonly text?: string }
  /** `d:`. `text` as read ("1.0E+25", "INF"), for byte-exact writes. */
  | { readonly k: "float"; readonly value: number; readonly text?: string }
  /** `s:` (bytes: PHP strings are binary). */
  | { readonly k: "string"; readonly bytes: Uint8Array }
  | { readonly k: "array"; readonly entries: [PhpKey, PhpNode][] }
  /** `O:class:n:{props}`: property names keep PHP's private/protected NUL mangling. */
  | { readonly k: "object"; readonly className: Uint8Array; readonly entries: [PhpKey, PhpNode][] }
  /** `C:class:{payload}` (Serializable): the payload is the class's own format, kept as bytes. */
  | { readonly k: "custom"; readonly className: Uint8Array; readonly payload: Uint8Array }
  /** `E:Class:Case` (PHP 8.1 enum case). */
  | { readonly k: "enum"; readonly name: Uint8Array }
  /** `R:n` (a PHP reference `&`) or `r:n` (the same object again): points at the node it names. */
  | { readonly k: "ref"; readonly object: boolean; readonly target: PhpNode };

/** An array key: `i:` or `s:` (PHP turns a decimal string key into an int when it builds the array). */
export type PhpKey =
  | { readonly k: "int"; readonly value: bigint; readonly text?: string }
  | { readonly k: "string"; readonly bytes: Uint8Array };

export interface PhpLimits {
  /** Largest serialized session, in bytes. Default 4 MiB. */
  maxBytes: number;
  /** Deepest nesting of arrays and objects. Default 128 (PHP's own unserialize_max_depth is 4096). */
  maxDepth: number;
  /** Most values (array entries count one each). Default 200,000. */
  maxNodes: number;
}

export const DEFAULT_PHP_LIMITS: PhpLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 128,
  maxNodes: 200_000,
};

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
