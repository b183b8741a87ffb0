import { SessionCodecError, sessionTooLarge } from "../../common/errors.js";
import { INT64_MAX, INT64_MIN, type PhpKey, type PhpLimits, type PhpNode } from "./php-node.js";

/**
 * The reading state of one session: PHP numbers the values of a whole session in one sequence (the
 * `php` handler shares it across attributes), which `R:n` / `r:n` name.
 */
export class PhpReader {
  pos = 0;
  private readonly slots: PhpNode[] = [];
  private nodes = 0;
  private afterCustom = false;

  constructor(
    readonly bytes: Uint8Array,
    private readonly limits: PhpLimits,
  ) {
    if (bytes.length > limits.maxBytes)
      throw sessionTooLarge(`a PHP session of ${bytes.length} bytes (limit ${limits.maxBytes})`);
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  fail(what: string): never {
    throw new SessionCodecError(`a PHP serialized value that is corrupt: ${what} at byte ${this.pos}`);
  }

  /** One value, numbered as PHP's unserialize numbers it. */
  value(depth = 0): PhpNode {
    if (++this.nodes > this.limits.maxNodes)
      throw sessionTooLarge(`a PHP session of more than ${this.limits.maxNodes} values`);
    const tag = this.bytes[this.pos];
    if (tag === 0x52 /* R */ || tag === 0x72 /* r */) return this.reference(tag === 0x72);
    // Numbered before its children, as PHP does (var_push before the array's elements are read).
    const slot = this.slots.length;
    this.slots.push({ k: "null" });
    const node = this.unnumbered(depth, slot);
    this.slots[slot] = node;
    return node;
  }

  private reference(object: boolean): PhpNode {
    if (this.afterCustom)
      this.fail("a reference after a C: object (its payload's values are numbered by its class)");
    this.pos++;
    this.expect(0x3a);
    const n = this.digits(0x3b);
    const target = n >= 1n && n <= BigInt(this.slots.length) ? this.slots[Number(n) - 1] : undefined;
    if (target === undefined) this.fail(`a reference to value ${n}, which does not exist`);
    if (object) {
      // PHP's r: must name an object; it takes a number of its own (R: does not).
      const seen = target.k === "ref" ? target.target : target;
      if (seen.k !== "object" && seen.k !== "custom" && seen.k !== "enum") this.fail("r: to a non-object");
      const node: PhpNode = { k: "ref", object, target };
      this.slots.push(node);
      return node;
    }
    return { k: "ref", object, target };
  }

  private unnumbered(depth: number, slot: number): PhpNode {
    const tag = this.bytes[this.pos++];
    switch (tag) {
      case 0x4e /* N */:
        this.expect(0x3b);
        return { k: "null" };
      case 0x62 /* b */:
        {
          this.expect(0x3a);
          const digit = this.bytes[this.pos++];
          if (digit !== 0x30 && digit !== 0x31) this.fail("b: that is not 0 or 1");
          this.expect(0x3b);
          return { k: "bool", value: digit === 0x31 };
        }
      case 0x69 /* i */:
        this.expect(0x3a);
        return this.int();
      case 0x64 /* d */:
        {
          this.expect(0x3a);
          const text = this.until(0x3b);
          return { k: "float", value: floatOf(text, this), text };
        }
      case 0x73 /* s */:
        {
          this.expect(0x3a);
          const bytes = this.quoted();
          this.expect(0x3b);
          return { k: "string", bytes };
        }
      case 0x61 /* a */:
        {
          this.expect(0x3a);
          const count = this.count();
          this.expect(0x3a);
          const node: PhpNode = { k: "array", entries: [] };
          // Numbered before its elements are read, so a reference inside it can name it.
          this.slots[slot] = node;
          this.entries(node.entries, count, depth);
          return node;
        }
      case 0x4f /* O */:
        {
          this.expect(0x3a);
          const className = this.quoted();
          this.expect(0x3a);
          const count = this.count();
          this.expect(0x3a);
          const node: PhpNode = { k: "object", className, entries: [] };
          this.slots[slot] = node;
          this.entries(node.entries, count, depth);
          return node;
        }
      case 0x43 /* C */:
        {
          this.expect(0x3a);
          const className = this.quoted();
          this.expect(0x3a);
          const length = this.count();
          this.expect(0x3a);
          this.expect(0x7b);
          const payload = this.take(length);
          this.expect(0x7d);
          this.afterCustom = true;
          return { k: "custom", className, payload };
        }
      case 0x45 /* E */:
        {
          this.expect(0x3a);
          const name = this.quoted();
          this.expect(0x3b);
          return { k: "enum", name };
        }
      default:
        this.pos--;
        return this.fail(
          tag === undefined
            ? "the end of the data"
            : `a value of type ${JSON.stringify(String.fromCharCode(tag))}`,
        );
    }
  }

  private entries(entries: [PhpKey, PhpNode][], count: number, depth: number): void {
    if (depth + 1 > this.limits.maxDepth)
      throw sessionTooLarge(`a PHP session nested deeper than ${this.limits.maxDepth}`);
    this.expect(0x7b);
    for (let i = 0; i < count; i++) {
      entries.push([this.key(), this.value(depth + 1)]);
    }
    this.expect(0x7d);
  }

  private key(): PhpKey {
    const tag = this.bytes[this.pos++];
    if (tag === 0x69) {
      this.expect(0x3a);
      return this.int();
    }
    if (tag === 0x73) {
      this.expect(0x3a);
      const bytes = this.quoted();
      this.expect(0x3b);
      return { k: "string", bytes };
    }
    this.pos--;
    return this.fail("an array key that is not i: or s:");
  }

  private int(): { k: "int"; value: bigint; text: string } {
    const text = this.until(0x3b);
    if (!/^[+-]?[0-9]+$/.test(text)) this.fail(`i:${text.slice(0, 40)}`);
    const value = BigInt(text);
    // PHP 8's unserialize refuses an i: outside int64 ("Numerical result out of range").
    if (value < INT64_MIN || value > INT64_MAX) this.fail(`i:${text} outside the 64-bit range`);
    return { k: "int", value, text };
  }

  /** `<len>:"<len bytes>"` */
  private quoted(): Uint8Array {
    const length = this.count();
    this.expect(0x3a);
    this.expect(0x22);
    const bytes = this.take(length);
    this.expect(0x22);
    return bytes;
  }

  /** A length or count: decimal digits, bounded by what is left of the input. */
  private count(): number {
    const start = this.pos;
    for (
      let byte = this.bytes[this.pos];
      byte !== undefined && byte >= 0x30 && byte <= 0x39;
      byte = this.bytes[this.pos]
    )
      this.pos++;
    if (this.pos === start || this.pos - start > 10) this.fail("a length");
    const n = Number(new TextDecoder().decode(this.bytes.subarray(start, this.pos)));
    if (n > this.bytes.length - this.pos) this.fail(`a length of ${n} past the end of the data`);
    return n;
  }

  private digits(end: number): bigint {
    const text = this.until(end);
    if (!/^[0-9]{1,19}$/.test(text)) this.fail("a reference number");
    return BigInt(text);
  }

  private until(end: number): string {
    const at = this.bytes.indexOf(end, this.pos);
    if (at < 0 || at - this.pos > 400) this.fail("a number");
    const text = new TextDecoder("latin1").decode(this.bytes.subarray(this.pos, at));
    this.pos = at + 1;
    return text;
  }

  private take(length: number): Uint8Array {
    if (this.pos + length > this.bytes.length) this.fail("a string past the end of the data");
    // A plain copy: a Buffer's slice would be a view into the whole record.
    const bytes = new Uint8Array(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return bytes;
  }

  expect(byte: number): void {
    if (this.bytes[this.pos] !== byte) this.fail(`${JSON.stringify(String.fromCharCode(byte))} expected`);
    this.pos++;
  }
}

/** PHP's float grammar in unserialize: [+-]digits[.digits][E[+-]digits], INF, -INF, NAN. */
function floatOf(text: string, reader: PhpReader): number {
  if (text === "INF") return Number.POSITIVE_INFINITY;
  if (text === "-INF") return Number.NEGATIVE_INFINITY;
  if (text === "NAN") return Number.NaN;
  if (!/^[+-]?([0-9]+|[0-9]*\.[0-9]+|[0-9]+\.[0-9]*)([eE][+-]?[0-9]+)?$/.test(text))
    reader.fail(`d:${text.slice(0, 40)}`);
  return Number(text);
}

/** One whole value (php_serialize, or a bare serialize() string). */
export function readPhp(bytes: Uint8Array, limits: PhpLimits): PhpNode {
  const reader = new PhpReader(bytes, limits);
  const node = reader.value();
  if (!reader.done) reader.fail("data after the value");
  return node;
}
