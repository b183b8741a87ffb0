import { SessionCodecError } from "../../../common/errors.js";
import type { JacksonNode, JacksonString } from "./jackson-node.js";

const encoder = new TextEncoder();
const HEX = "0123456789ABCDEF";

/** Jackson's short escapes; every other control character is `\u00XX` (upper-case hex). */
const SHORT_ESCAPES: Record<number, string> = {
  34: '\\"',
  92: "\\\\",
  8: "\\b",
  12: "\\f",
  10: "\\n",
  13: "\\r",
  9: "\\t",
};

function unicodeEscape(unit: number): string {
  return `\\u${HEX[(unit >> 12) & 15]}${HEX[(unit >> 8) & 15]}${HEX[(unit >> 4) & 15]}${HEX[unit & 15]}`;
}

/**
 * A string's JSON text (without the quotes) as Jackson 2's UTF-8 generator writes it: `"`, `\` and
 * control characters escaped, and every UTF-16 surrogate too (a pair as two `\uD83D\uDE00` escapes, a
 * lone one as one: Java strings can hold those, and Jackson keeps them). Everything else, DEL, U+2028 and
 * U+2029 included, is written as itself.
 */
export function jacksonStringText(value: string): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const escaped =
      unit < 0x20 || unit === 0x22 || unit === 0x5c
        ? (SHORT_ESCAPES[unit] ?? unicodeEscape(unit))
        : unit >= 0xd800 && unit <= 0xdfff
          ? unicodeEscape(unit)
          : undefined;
    if (escaped === undefined) continue;
    out += value.slice(start, i) + escaped;
    start = i + 1;
  }
  return start === 0 ? value : out + value.slice(start);
}

/**
 * A double as Jackson writes it (Java's Double.toString layout): plain with at least one decimal
 * between 10^-3 and 10^7 ("1.0", "0.001", "123456.789"), else `d.dddE<exp>` ("1.0E10", "1.0E-5"), and
 * "-0.0". The digits are JavaScript's shortest round-trip ones, which Java parses back to the same double.
 * NaN and the infinities have no JSON number (Jackson writes them as strings): refused.
 */
export function javaDoubleText(value: number): string {
  if (!Number.isFinite(value))
    throw new SessionCodecError(`${value} has no JSON number (Jackson would write it as a string)`);
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  const [mantissa, exponent] = Math.abs(value).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exp = Number(exponent);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const decpt = exp + 1;
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (digits.length <= decpt) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : "0"}E${exp}`;
}

function stringText(node: JacksonString): string {
  return `"${node.raw ?? jacksonStringText(node.value)}"`;
}

/**
 * Compact JSON as Jackson writes it (no whitespace). `nested` is false only for the top value: a
 * Long made by long() is bare there and `["java.lang.Long",n]` inside a map, as Jackson types it.
 */
function write(node: JacksonNode, nested: boolean, out: string[]): void {
  switch (node.k) {
    case "null":
      if (!(node.empty && !nested)) out.push("null");
      return;
    case "bool":
      out.push(node.value ? "true" : "false");
      return;
    case "number":
      out.push(node.javaLong && nested ? `["java.lang.Long",${node.text}]` : node.text);
      return;
    case "string":
      out.push(stringText(node));
      return;
    case "array":
      out.push("[");
      node.items.forEach((item, i) => {
        if (i > 0) out.push(",");
        write(item, true, out);
      });
      out.push("]");
      return;
    case "object":
      out.push("{");
      node.entries.forEach(([key, value], i) => {
        if (i > 0) out.push(",");
        out.push(stringText(key), ":");
        write(value, true, out);
      });
      out.push("}");
      return;
  }
}

/** The UTF-8 bytes of a node (every surrogate is escaped, so the text encodes without loss). */
export function writeJackson(node: JacksonNode): Uint8Array {
  const out: string[] = [];
  write(node, false, out);
  return encoder.encode(out.join(""));
}
