import { SessionCodecError } from "../../common/errors.js";
import { INT64_MAX, INT64_MIN, type PhpKey, type PhpNode } from "./php-node.js";

const encoder = new TextEncoder();

/**
 * Writes values as PHP's serialize() does, numbering them in one sequence per session so that
 * references (`R:n`, `r:n`) name the right value after attributes were added or removed. A reference
 * whose target is no longer written (Node replaced the attribute it pointed into) is written as a copy
 * of the target, which then takes the target's place for later references.
 */
export class PhpWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private count = 0;
  private readonly numbers = new Map<PhpNode, number>();

  /** The number PHP gives the next value (the outer array of php_serialize takes 1). */
  skipNumber(): void {
    this.count++;
  }

  raw(bytes: Uint8Array | string): void {
    const chunk = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  value(node: PhpNode): void {
    if (node.k === "ref") {
      const target = node.target;
      const number = this.numbers.get(target);
      if (number === undefined) {
        // Its target is not in what we write any more: the copy stands in for it.
        this.value(target);
        return;
      }
      if (node.object) {
        this.numbers.set(node, ++this.count);
        this.raw(`r:${number};`);
      } else this.raw(`R:${number};`);
      return;
    }
    this.numbers.set(node, ++this.count);
    switch (node.k) {
      case "null":
        this.raw("N;");
        return;
      case "bool":
        this.raw(node.value ? "b:1;" : "b:0;");
        return;
      case "int":
        this.raw(`i:${node.text ?? intText(node.value)};`);
        return;
      case "float":
        this.raw(`d:${node.text ?? phpFloat(node.value)};`);
        return;
      case "string":
        this.quoted("s", node.bytes);
        this.raw(";");
        return;
      case "array":
        this.raw(`a:${node.entries.length}:{`);
        this.entries(node.entries);
        return;
      case "object":
        this.quoted("O", node.className);
        this.raw(`:${node.entries.length}:{`);
        this.entries(node.entries);
        return;
      case "custom":
        this.quoted("C", node.className);
        this.raw(`:${node.payload.length}:{`);
        this.raw(node.payload);
        this.raw("}");
        return;
      case "enum":
        this.quoted("E", node.name);
        this.raw(";");
        return;
    }
  }

  key(key: PhpKey): void {
    if (key.k === "int") this.raw(`i:${key.text ?? intText(key.value)};`);
    else {
      this.quoted("s", key.bytes);
      this.raw(";");
    }
  }

  private entries(entries: readonly [PhpKey, PhpNode][]): void {
    for (const [key, value] of entries) {
      this.key(key);
      this.value(value);
    }
    this.raw("}");
  }

  private quoted(tag: string, bytes: Uint8Array): void {
    this.raw(`${tag}:${bytes.length}:"`);
    this.raw(bytes);
    this.raw('"');
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

function intText(value: bigint): string {
  if (value < INT64_MIN || value > INT64_MAX)
    throw new SessionCodecError(`the integer ${value} is outside PHP's 64-bit int range`);
  return String(value);
}

/**
 * A float as serialize() writes it with serialize_precision = -1 (PHP 7.1+): the shortest digits that
 * read back to the same double, as php_gcvt lays them out with 17 digits of precision: plain when the
 * decimal point falls between 10^-4 and 10^17, else `d.dddE+x` (one digit: `1.0E+25`). No ".0" on
 * integral values, `-0` for negative zero, `INF`, `-INF` and `NAN`.
 */
export function phpFloat(value: number): string {
  if (Number.isNaN(value)) return "NAN";
  if (value === Number.POSITIVE_INFINITY) return "INF";
  if (value === Number.NEGATIVE_INFINITY) return "-INF";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const sign = value < 0 ? "-" : "";
  const [mantissa, exponent] = Math.abs(value).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const decpt = Number(exponent) + 1;
  if (decpt < -3 || decpt > 17) {
    const rest = digits.length > 1 ? digits.slice(1) : "0";
    const e = decpt - 1;
    return `${sign}${digits[0]}.${rest}E${e < 0 ? "-" : "+"}${Math.abs(e)}`;
  }
  if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
  if (digits.length <= decpt) return `${sign}${digits}${"0".repeat(decpt - digits.length)}`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}
