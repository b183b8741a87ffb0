/**
 * A Ruby Marshal stream as a lossless tree: what marshal-reader.ts reads and marshal-writer.ts writes
 * back byte for byte. Object links (`@n`) are the same node object in two places, so a subtree can move
 * to another stream and the writer numbers its links again; symbols are kept by name for the same reason.
 * Nothing here is ever turned into a Ruby class's behaviour: an object is its class name and its data.
 */

/** A symbol; `ivars` holds its encoding when Ruby wrote one (`I:` + name + `:E T`). */
export interface MSymbol {
  readonly k: "symbol";
  readonly name: Uint8Array;
  readonly ivars?: MIvar[];
}

export type MIvar = [name: MSymbol, value: MNode];

export type MNode =
  | { readonly k: "nil" }
  | { readonly k: "true" }
  | { readonly k: "false" }
  | { readonly k: "int"; readonly value: number }
  | { readonly k: "bignum"; readonly value: bigint }
  /** Kept as Ruby wrote it ("1.5", "-0", "inf", "nan"), so no digit changes on the way back. */
  | { readonly k: "float"; readonly text: string }
  | MSymbol
  | { readonly k: "string"; readonly bytes: Uint8Array; ivars?: MIvar[] }
  | { readonly k: "regexp"; readonly source: Uint8Array; readonly flags: number; ivars?: MIvar[] }
  | { readonly k: "array"; readonly items: MNode[]; ivars?: MIvar[] }
  | {
      readonly k: "hash";
      readonly entries: [MNode, MNode][];
      defaultValue?: MNode;
      ivars?: MIvar[];
    }
  /** `o`: a plain object, its class and instance variables. */
  | { readonly k: "object"; readonly className: MSymbol; readonly ivars: MIvar[] }
  /** `u`: a class's own `_dump` bytes (Time is one). */
  | { readonly k: "userdef"; readonly className: MSymbol; readonly bytes: Uint8Array; ivars?: MIvar[] }
  /** `U`: `marshal_dump` data (ActiveSupport::TimeWithZone is one). */
  | { readonly k: "usermarshal"; readonly className: MSymbol; data: MNode }
  | { readonly k: "struct"; readonly className: MSymbol; readonly members: MIvar[]; ivars?: MIvar[] }
  /** `C`: a String, Array, Hash or Regexp of a subclass (HashWithIndifferentAccess). */
  | { readonly k: "uclass"; readonly className: MSymbol; readonly inner: MNode }
  /** `e`: an object extended with a module. */
  | { readonly k: "extended"; readonly module: MSymbol; readonly inner: MNode }
  | { readonly k: "class" | "module" | "oldmodule"; readonly name: Uint8Array }
  /** `d`: T_DATA's `_dump_data`. */
  | { readonly k: "data"; readonly className: MSymbol; data: MNode };

export const NIL: MNode = { k: "nil" };
export const TRUE: MNode = { k: "true" };
export const FALSE: MNode = { k: "false" };

/** Limits of one decode: a record past them is refused, never partly read. */
export interface MarshalLimits {
  /** Largest stream, in bytes. Default 4 MiB. */
  maxBytes: number;
  /** Deepest nesting of containers and objects. Default 64. */
  maxDepth: number;
  /** Most values in one stream (every element, key and ivar counts). Default 200,000. */
  maxNodes: number;
}

export const DEFAULT_MARSHAL_LIMITS: MarshalLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxNodes: 200_000,
};

const latin1 = new TextDecoder("latin1");
/** A symbol's name as a JS string key (the bytes one to one), for the symbol tables. */
export function symbolKey(symbol: MSymbol): string {
  const encoding = symbol.ivars?.[0];
  return `${latin1.decode(symbol.name)}\u0000${encoding ? encodingTag(encoding) : ""}`;
}

function encodingTag([name, value]: MIvar): string {
  const bytes = latin1.decode(name.name);
  if (value.k === "true" || value.k === "false") return `${bytes}${value.k}`;
  return value.k === "string" ? `${bytes}=${latin1.decode(value.bytes)}` : bytes;
}

const utf8 = new TextEncoder();
export function symbol(name: string): MSymbol {
  return { k: "symbol", name: utf8.encode(name) };
}
