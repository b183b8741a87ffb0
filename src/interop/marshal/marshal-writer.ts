import { SessionCodecError } from "../../common/errors.js";
import { type MIvar, type MNode, type MSymbol, symbolKey } from "./marshal-node.js";

/**
 * Writes a MarshalNode tree as a Marshal 4.8 stream: the exact inverse of readMarshal for what Ruby
 * writes. Objects are numbered in the reader's (Ruby's) order and a node met a second time (the same
 * node object) is written as an `@` link, so shared and cyclic data keep their shape.
 */
export function writeMarshal(node: MNode): Uint8Array {
  const writer = new Writer();
  writer.bytes.push(4, 8);
  writer.value(node);
  return Uint8Array.from(writer.bytes);
}

class Writer {
  readonly bytes: number[] = [];
  private readonly symbols = new Map<string, number>();
  private readonly objects = new Map<MNode, number>();

  private byte(b: number): void {
    this.bytes.push(b);
  }

  /** w_long (see marshal-reader.ts long()). */
  long(n: number): void {
    if (!Number.isInteger(n) || n < -(2 ** 32) || n >= 2 ** 32)
      throw new SessionCodecError(`a Marshal length or integer out of range: ${n}`);
    if (n === 0) {
      this.byte(0);
      return;
    }
    if (n > 0 && n < 123) {
      this.byte(n + 5);
      return;
    }
    if (n < 0 && n > -124) {
      this.byte((n - 5) & 0xff);
      return;
    }
    const out: number[] = [];
    let x = n;
    for (let i = 0; i < 4; i++) {
      out.push(((x % 256) + 256) % 256);
      x = Math.floor(x / 256);
      if ((n >= 0 && x === 0) || (n < 0 && x === -1)) break;
    }
    this.byte(n >= 0 ? out.length : 256 - out.length);
    for (const b of out) this.byte(b);
  }

  private raw(data: Uint8Array): void {
    this.long(data.length);
    for (const b of data) this.byte(b);
  }

  private remember(node: MNode): void {
    this.objects.set(node, this.objects.size);
  }

  symbol(symbol: MSymbol): void {
    const key = symbolKey(symbol);
    const index = this.symbols.get(key);
    if (index !== undefined) {
      this.byte(0x3b);
      this.long(index);
      return;
    }
    this.symbols.set(key, this.symbols.size);
    if (symbol.ivars) this.byte(0x49);
    this.byte(0x3a);
    this.raw(symbol.name);
    if (symbol.ivars) this.ivars(symbol.ivars);
  }

  private ivars(ivars: MIvar[]): void {
    this.long(ivars.length);
    for (const [name, value] of ivars) {
      this.symbol(name);
      this.value(value);
    }
  }

  value(node: MNode): void {
    const seen = this.objects.get(innermost(node));
    if (seen !== undefined) {
      this.byte(0x40);
      this.long(seen);
      return;
    }
    const ivars = ivarsOf(innermost(node));
    if (ivars) this.byte(0x49);
    this.body(node);
    if (ivars) this.ivars(ivars);
    // Ruby numbers a `_dump` object after its bytes' ivars (see the reader).
    if (innermost(node).k === "userdef") this.remember(innermost(node));
  }

  private body(node: MNode): void {
    switch (node.k) {
      case "nil": {
        this.byte(0x30);
        return;
      }
      case "true": {
        this.byte(0x54);
        return;
      }
      case "false": {
        this.byte(0x46);
        return;
      }
      case "int":
        this.byte(0x69);
        {
          this.long(node.value);
          return;
        }
      case "symbol": {
        this.symbol(node);
        return;
      }
      case "bignum": {
        this.remember(node);
        this.byte(0x6c);
        this.byte(node.value < 0n ? 0x2d : 0x2b);
        let magnitude = node.value < 0n ? -node.value : node.value;
        const data: number[] = [];
        while (magnitude > 0n) {
          data.push(Number(magnitude & 0xffn));
          magnitude >>= 8n;
        }
        if (data.length % 2 === 1) data.push(0);
        this.long(data.length / 2);
        for (const b of data) this.byte(b);
        return;
      }
      case "float":
        this.remember(node);
        this.byte(0x66);
        {
          this.raw(new TextEncoder().encode(node.text));
          return;
        }
      case "string":
        this.remember(node);
        this.byte(0x22);
        {
          this.raw(node.bytes);
          return;
        }
      case "regexp":
        this.remember(node);
        this.byte(0x2f);
        this.raw(node.source);
        {
          this.byte(node.flags);
          return;
        }
      case "array":
        this.remember(node);
        this.byte(0x5b);
        this.long(node.items.length);
        for (const item of node.items) this.value(item);
        return;
      case "hash":
        this.remember(node);
        this.byte(node.defaultValue ? 0x7d : 0x7b);
        this.long(node.entries.length);
        for (const [key, value] of node.entries) {
          this.value(key);
          this.value(value);
        }
        if (node.defaultValue) this.value(node.defaultValue);
        return;
      case "object":
        this.byte(0x6f);
        this.symbol(node.className);
        this.remember(node);
        {
          this.ivars(node.ivars);
          return;
        }
      case "userdef":
        this.byte(0x75);
        this.symbol(node.className);
        {
          this.raw(node.bytes);
          return;
        }
      case "usermarshal":
        this.byte(0x55);
        this.symbol(node.className);
        this.remember(node);
        {
          this.value(node.data);
          return;
        }
      case "struct":
        this.byte(0x53);
        this.symbol(node.className);
        this.remember(node);
        {
          this.ivars(node.members);
          return;
        }
      case "uclass":
      case "extended":
        this.byte(node.k === "uclass" ? 0x43 : 0x65);
        this.symbol(node.k === "uclass" ? node.className : node.module);
        {
          this.body(node.inner);
          return;
        }
      case "class":
      case "module":
      case "oldmodule":
        this.remember(node);
        this.byte(node.k === "class" ? 0x63 : node.k === "module" ? 0x6d : 0x4d);
        {
          this.raw(node.name);
          return;
        }
      case "data":
        this.byte(0x64);
        this.symbol(node.className);
        this.remember(node);
        {
          this.value(node.data);
          return;
        }
    }
  }
}

function innermost(node: MNode): MNode {
  let current = node;
  while (current.k === "uclass" || current.k === "extended") current = current.inner;
  return current;
}

function ivarsOf(node: MNode): MIvar[] | undefined {
  if (node.k === "object" || node.k === "symbol" || node.k === "struct") {
    return node.k === "struct" ? node.ivars : undefined;
  }
  return "ivars" in node ? node.ivars : undefined;
}
