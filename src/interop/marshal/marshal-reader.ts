import { SessionCodecError, sessionTooLarge } from "../../common/errors.js";
import {
  DEFAULT_MARSHAL_LIMITS,
  FALSE,
  type MarshalLimits,
  type MIvar,
  type MNode,
  type MSymbol,
  NIL,
  TRUE,
} from "./marshal-node.js";

/**
 * Reads a Ruby Marshal 4.8 stream into a MarshalNode tree. It only records what the stream says: no class
 * is looked up, nothing is instantiated. Objects are numbered for `@` links in exactly Ruby's order
 * (marshal.c r_entry), which matters for the links that follow; a link to a number not yet seen, a
 * truncated stream, an unknown type byte or trailing bytes are errors.
 */
export function readMarshal(bytes: Uint8Array, limits: Partial<MarshalLimits> = {}): MNode {
  const { maxBytes, maxDepth, maxNodes } = { ...DEFAULT_MARSHAL_LIMITS, ...limits };
  if (bytes.length > maxBytes)
    throw sessionTooLarge(`a Marshal record of ${bytes.length} bytes is over the ${maxBytes} byte limit`);
  const reader = new Reader(bytes, maxDepth, maxNodes);
  if (reader.byte() !== 4 || reader.byte() !== 8)
    throw new SessionCodecError("not a Ruby Marshal 4.8 stream (the first bytes are not 04 08)");
  const node = reader.value(0);
  if (reader.offset !== bytes.length)
    throw new SessionCodecError(`trailing bytes after the Marshal value at offset ${reader.offset}`);
  return node;
}

class Reader {
  offset = 0;
  private readonly symbols: MSymbol[] = [];
  private readonly objects: MNode[] = [];
  private nodes = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
    private readonly maxNodes: number,
  ) {}

  byte(): number {
    const b = this.bytes[this.offset];
    if (b === undefined) throw new SessionCodecError("truncated Marshal stream");
    this.offset += 1;
    return b;
  }

  /** w_long: one byte for small numbers, else a length byte and up to 4 little-endian bytes. */
  long(): number {
    const c = (this.byte() << 24) >> 24;
    if (c === 0) return 0;
    if (c > 4) return c - 5;
    if (c < -4) return c + 5;
    let x = 0;
    if (c > 0) {
      for (let i = 0; i < c; i++) x += this.byte() * 2 ** (8 * i);
      return x;
    }
    for (let i = 0; i < -c; i++) x += this.byte() * 2 ** (8 * i);
    return x - 2 ** (8 * -c);
  }

  take(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.length)
      throw new SessionCodecError("truncated Marshal stream (a length runs past the end)");
    // A copy, and a plain Uint8Array even when the input is a Buffer (whose slice() is a view).
    const slice = new Uint8Array(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return slice;
  }

  count(): number {
    const n = this.long();
    if (n < 0) throw new SessionCodecError("negative length in a Marshal stream");
    // Each element needs at least one byte: a count past the remaining bytes is a lie, refused before looping.
    if (n > this.bytes.length - this.offset) throw new SessionCodecError("truncated Marshal stream");
    return n;
  }

  private register<T extends MNode>(node: T): T {
    this.objects.push(node);
    return node;
  }

  private tick(depth: number): void {
    this.nodes += 1;
    if (this.nodes > this.maxNodes)
      throw sessionTooLarge(`a Marshal record with more than ${this.maxNodes} values`);
    if (depth > this.maxDepth)
      throw sessionTooLarge(`a Marshal record nested deeper than ${this.maxDepth} levels`);
  }

  symbolValue(depth: number): MSymbol {
    const type = this.byte();
    if (type === 0x3a /* : */) return this.newSymbol(depth, undefined);
    if (type === 0x3b /* ; */) return this.symlink();
    if (type === 0x49 /* I */ && this.bytes[this.offset] === 0x3a) {
      this.offset += 1;
      return this.newSymbol(depth, true);
    }
    throw new SessionCodecError(`expected a Symbol, found type byte 0x${type.toString(16)}`);
  }

  private newSymbol(depth: number, withIvars: true | undefined): MSymbol {
    const index = this.symbols.length;
    const name = this.take(this.count());
    const symbol: { k: "symbol"; name: Uint8Array; ivars?: MIvar[] } = { k: "symbol", name };
    this.symbols.push(symbol);
    if (withIvars) symbol.ivars = this.ivars(depth);
    this.symbols[index] = symbol;
    return symbol;
  }

  private symlink(): MSymbol {
    const symbol = this.symbols[this.long()];
    if (symbol === undefined) throw new SessionCodecError("a Marshal symbol link to no symbol");
    return symbol;
  }

  ivars(depth: number): MIvar[] {
    const n = this.count();
    const ivars: MIvar[] = [];
    for (let i = 0; i < n; i++) ivars.push([this.symbolValue(depth + 1), this.value(depth + 1)]);
    return ivars;
  }

  value(depth: number, ivarWrapped = false): MNode {
    this.tick(depth);
    const type = this.byte();
    switch (type) {
      case 0x30 /* 0 */:
        return NIL;
      case 0x54 /* T */:
        return TRUE;
      case 0x46 /* F */:
        return FALSE;
      case 0x69 /* i */:
        return { k: "int", value: this.long() };
      case 0x3a /* : */:
      case 0x3b /* ; */:
      case 0x49 /* I */:
        {
          if (type !== 0x49) {
            this.offset -= 1;
            return this.symbolValue(depth);
          }
          if (this.bytes[this.offset] === 0x3a) {
            this.offset -= 1;
            return this.symbolValue(depth);
          }
          if (ivarWrapped) throw new SessionCodecError("nested ivar wrappers in a Marshal stream");
          return this.withIvars(depth);
        }
      case 0x40 /* @ */:
        {
          const target = this.objects[this.long()];
          if (target === undefined) throw new SessionCodecError("a Marshal object link to no object");
          return target;
        }
      case 0x6c /* l */:
        {
          const sign = this.byte();
          const words = this.count();
          const data = this.take(words * 2);
          let value = 0n;
          for (let i = data.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i] as number);
          if (sign !== 0x2b && sign !== 0x2d) throw new SessionCodecError("a Marshal Bignum without a sign");
          return this.register({ k: "bignum", value: sign === 0x2d ? -value : value });
        }
      case 0x66 /* f */:
        {
          const text = new TextDecoder("latin1").decode(this.take(this.count()));
          if (!/^(-?inf|nan|-?\d+(\.\d+)?(e[-+]?\d+)?)$/.test(text))
            throw new SessionCodecError("a Marshal Float that is not a number");
          return this.register({ k: "float", text });
        }
      case 0x22 /* " */:
        return this.register({ k: "string", bytes: this.take(this.count()) });
      case 0x2f /* / */:
        {
          const source = this.take(this.count());
          return this.register({ k: "regexp", source, flags: this.byte() });
        }
      case 0x5b /* [ */:
        {
          const n = this.count();
          const node = this.register({ k: "array", items: [] as MNode[] });
          for (let i = 0; i < n; i++) node.items.push(this.value(depth + 1));
          return node;
        }
      case 0x7b /* { */:
      case 0x7d /* } */:
        {
          const n = this.count();
          const node: { k: "hash"; entries: [MNode, MNode][]; defaultValue?: MNode } = this.register({
            k: "hash",
            entries: [],
          });
          for (let i = 0; i < n; i++) node.entries.push([this.value(depth + 1), this.value(depth + 1)]);
          if (type === 0x7d) node.defaultValue = this.value(depth + 1);
          return node;
        }
      case 0x6f /* o */:
        {
          const className = this.symbolValue(depth);
          const node = this.register({ k: "object", className, ivars: [] as MIvar[] });
          for (const ivar of this.ivars(depth)) node.ivars.push(ivar);
          return node;
        }
      case 0x75 /* u */:
        {
          const className = this.symbolValue(depth);
          // Without an ivar wrapper Ruby numbers it after its bytes; withIvars numbers it after the ivars.
          const node = { k: "userdef" as const, className, bytes: this.take(this.count()) };
          return ivarWrapped ? node : this.register(node);
        }
      case 0x55 /* U */:
        {
          const className = this.symbolValue(depth);
          const node: MNode = this.register({ k: "usermarshal", className, data: NIL });
          node.data = this.value(depth + 1);
          return node;
        }
      case 0x53 /* S */:
        {
          const className = this.symbolValue(depth);
          const node = this.register({ k: "struct", className, members: [] as MIvar[] });
          for (const ivar of this.ivars(depth)) node.members.push(ivar);
          return node;
        }
      case 0x43 /* C */:
        {
          const className = this.symbolValue(depth);
          return { k: "uclass", className, inner: this.wrapped(depth, ivarWrapped) };
        }
      case 0x65 /* e */:
        {
          const module = this.symbolValue(depth);
          return { k: "extended", module, inner: this.wrapped(depth, ivarWrapped) };
        }
      case 0x63 /* c */:
        return this.register({ k: "class", name: this.take(this.count()) });
      case 0x6d /* m */:
        return this.register({ k: "module", name: this.take(this.count()) });
      case 0x4d /* M */:
        return this.register({ k: "oldmodule", name: this.take(this.count()) });
      case 0x64 /* d */:
        {
          const className = this.symbolValue(depth);
          const node: MNode = this.register({ k: "data", className, data: NIL });
          node.data = this.value(depth + 1);
          return node;
        }
      default:
        throw new SessionCodecError(`unknown Marshal type byte 0x${type.toString(16)}`);
    }
  }

  /** The object inside `C` or `e`: it carries the ivar wrapper of the whole, if any. */
  private wrapped(depth: number, ivarWrapped: boolean): MNode {
    const inner = this.value(depth + 1, ivarWrapped);
    if (inner.k === "nil" || inner.k === "true" || inner.k === "false" || inner.k === "int")
      throw new SessionCodecError("a Marshal class wrapper around an immediate value");
    return inner;
  }

  /** `I`: an object followed by its instance variables (a String's encoding, mostly). */
  private withIvars(depth: number): MNode {
    const node = this.value(depth + 1, true);
    const target = innermost(node);
    if (!IVAR_TARGETS.has(target.k))
      throw new SessionCodecError(`a Marshal ivar wrapper around a ${target.k}`);
    const ivars = this.ivars(depth);
    (target as { ivars?: MIvar[] }).ivars = ivars;
    // Ruby numbers a `_dump` object only once it has read the ivars of its bytes (marshal.c TYPE_USERDEF).
    if (target.k === "userdef") this.register(target);
    return node;
  }
}

/** The kinds Ruby writes an `I` wrapper around (marshal.c w_object: has_ivars). */
const IVAR_TARGETS = new Set(["string", "regexp", "array", "hash", "userdef", "struct"]);

function innermost(node: MNode): MNode {
  let current = node;
  while (current.k === "uclass" || current.k === "extended") current = current.inner;
  return current;
}
