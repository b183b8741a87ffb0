import { SessionCodecError, sessionTooLarge } from "../../../common/errors.js";
import type { SpringLimits } from "../spring-codec.js";
import type { JacksonEntry, JacksonNode, JacksonString } from "./jackson-node.js";
import { jacksonStringText } from "./jackson-writer.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ascii = new TextDecoder("latin1");

/** Jackson 2.15+ refuses longer numbers (StreamReadConstraints); a longer one is not from Spring. */
const MAX_NUMBER_LENGTH = 1000;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

const SIMPLE_ESCAPES: Record<number, string> = {
  34: '"',
  92: "\\",
  47: "/",
  98: "\b",
  102: "\f",
  110: "\n",
  114: "\r",
  116: "\t",
};

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * A strict RFC 8259 reader over the bytes (so errors name a byte offset): valid UTF-8 only, no
 * duplicate keys (Jackson keeps the last, which would let two readers see two values), numbers kept as
 * their text. `canonical` turns false when the input has anything Jackson would not write (whitespace,
 * other escapes), so the codec keeps those bytes to write back.
 */
class JacksonReader {
  pos = 0;
  canonical = true;
  private nodes = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: SpringLimits,
  ) {}

  fail(what: string): never {
    throw new SessionCodecError(`Spring session JSON that is malformed: ${what} at byte ${this.pos}`);
  }

  skipWhitespace(): void {
    const start = this.pos;
    while (isWhitespace(this.bytes[this.pos])) this.pos++;
    if (this.pos !== start) this.canonical = false;
  }

  value(depth: number): JacksonNode {
    if (++this.nodes > this.limits.maxNodes)
      throw sessionTooLarge(`a Spring session value of more than ${this.limits.maxNodes} JSON values`);
    this.skipWhitespace();
    const byte = this.bytes[this.pos];
    switch (byte) {
      case 0x7b /* { */:
        return this.object(depth + 1);
      case 0x5b /* [ */:
        return this.array(depth + 1);
      case 0x22 /* " */:
        return this.string();
      case 0x74 /* t */:
        this.literal("true");
        return { k: "bool", value: true };
      case 0x66 /* f */:
        this.literal("false");
        return { k: "bool", value: false };
      case 0x6e /* n */:
        this.literal("null");
        return { k: "null" };
      default:
        if (byte === 0x2d || (byte !== undefined && byte >= 0x30 && byte <= 0x39)) return this.number();
        return this.fail(byte === undefined ? "the end of the data" : "an unexpected character");
    }
  }

  private enter(depth: number): void {
    if (depth > this.limits.maxDepth)
      throw sessionTooLarge(`a Spring session value nested deeper than ${this.limits.maxDepth}`);
    this.pos++;
  }

  private object(depth: number): JacksonNode {
    this.enter(depth);
    const entries: JacksonEntry[] = [];
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.bytes[this.pos] === 0x7d) {
      this.pos++;
      return { k: "object", entries };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.bytes[this.pos] !== 0x22) this.fail("a key expected");
      const keyAt = this.pos;
      const key = this.string();
      if (seen.has(key.value)) {
        this.pos = keyAt;
        this.fail(`the duplicate key ${JSON.stringify(key.value.slice(0, 80))}`);
      }
      seen.add(key.value);
      this.skipWhitespace();
      this.expect(0x3a, '":"');
      entries.push([key, this.value(depth)]);
      this.skipWhitespace();
      if (this.bytes[this.pos] === 0x7d) {
        this.pos++;
        return { k: "object", entries };
      }
      this.expect(0x2c, '"," or "}"');
    }
  }

  private array(depth: number): JacksonNode {
    this.enter(depth);
    const items: JacksonNode[] = [];
    this.skipWhitespace();
    if (this.bytes[this.pos] === 0x5d) {
      this.pos++;
      return { k: "array", items };
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipWhitespace();
      if (this.bytes[this.pos] === 0x5d) {
        this.pos++;
        return { k: "array", items };
      }
      this.expect(0x2c, '"," or "]"');
    }
  }

  private string(): JacksonString {
    const open = this.pos++;
    const parts: string[] = [];
    let spanStart = this.pos;
    let plain = true;
    for (;;) {
      const byte = this.bytes[this.pos];
      if (byte === undefined) this.fail("an unterminated string");
      if (byte === 0x22 || byte === 0x5c) {
        parts.push(this.text(spanStart, this.pos));
        if (byte === 0x22) break;
        plain = false;
        parts.push(this.escape());
        spanStart = this.pos;
        continue;
      }
      if (byte < 0x20) this.fail("a control character in a string");
      // A 4-byte sequence is a character Jackson writes as two \u escapes.
      if (byte >= 0xf0) plain = false;
      this.pos++;
    }
    const value = parts.join("");
    const end = this.pos++;
    if (plain) return { k: "string", value };
    const raw = this.text(open + 1, end);
    if (raw === jacksonStringText(value)) return { k: "string", value };
    this.canonical = false;
    return { k: "string", value, raw };
  }

  private text(start: number, end: number): string {
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      this.pos = start;
      return this.fail("a string that is not valid UTF-8");
    }
  }

  private escape(): string {
    const kind = this.bytes[++this.pos] ?? -1;
    this.pos++;
    const simple = SIMPLE_ESCAPES[kind];
    if (simple !== undefined) return simple;
    if (kind !== 0x75 /* u */) {
      this.pos -= 2;
      return this.fail("an invalid escape");
    }
    let unit = 0;
    for (let i = 0; i < 4; i++) {
      const digit = hexValue(this.bytes[this.pos]);
      if (digit < 0) this.fail("an invalid \\u escape");
      unit = unit * 16 + digit;
      this.pos++;
    }
    return String.fromCharCode(unit);
  }

  private number(): JacksonNode {
    const start = this.pos;
    for (
      let byte = this.bytes[this.pos];
      byte !== undefined &&
      ((byte >= 0x30 && byte <= 0x39) ||
        byte === 0x2d ||
        byte === 0x2b ||
        byte === 0x2e ||
        (byte | 0x20) === 0x65);
      byte = this.bytes[this.pos]
    ) {
      this.pos++;
      if (this.pos - start > MAX_NUMBER_LENGTH)
        this.fail(`a number longer than ${MAX_NUMBER_LENGTH} characters`);
    }
    const text = ascii.decode(this.bytes.subarray(start, this.pos));
    if (!NUMBER.test(text)) {
      this.pos = start;
      this.fail(`the number ${JSON.stringify(text.slice(0, 40))}`);
    }
    return { k: "number", text };
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.bytes[this.pos + i] !== word.charCodeAt(i)) this.fail("an unexpected character");
    }
    this.pos += word.length;
  }

  private expect(byte: number, what: string): void {
    if (this.bytes[this.pos] !== byte) this.fail(`${what} expected`);
    this.pos++;
  }
}

/**
 * One hash value: a whole JSON document, or no bytes at all (what Spring writes for null). `canonical`
 * says whether writeJackson gives these bytes back; when false the codec keeps the bytes.
 */
export function readJackson(
  bytes: Uint8Array,
  limits: SpringLimits,
): { node: JacksonNode; canonical: boolean } {
  if (bytes.length > limits.maxBytes)
    throw sessionTooLarge(`a Spring session value of ${bytes.length} bytes (limit ${limits.maxBytes})`);
  if (bytes.length === 0) return { node: { k: "null", empty: true }, canonical: true };
  const reader = new JacksonReader(bytes, limits);
  const node = reader.value(0);
  reader.skipWhitespace();
  if (reader.pos !== bytes.length) reader.fail("data after the value");
  return { node, canonical: reader.canonical };
}
