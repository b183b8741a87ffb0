/**
 * A Python pickle as a tree: what pickle-reader.ts reads by simulating the pickle machine without
 * running anything, and pickle-writer.ts writes with data-only opcodes. A memo reference (GET) is the
 * same node object in two places. A class (GLOBAL / STACK_GLOBAL) is only its module and name; REDUCE
 * and NEWOBJ are recorded as "call this with these arguments" and never called here.
 */
export type PNode =
  | { readonly k: "none" }
  | { readonly k: "bool"; readonly value: boolean }
  | { readonly k: "int"; readonly value: bigint }
  | { readonly k: "float"; readonly value: number }
  /** str, as UTF-8 bytes (Python writes lone surrogates with surrogatepass: not valid UTF-8). */
  | { readonly k: "str"; readonly bytes: Uint8Array }
  | { readonly k: "bytes" | "bytearray"; readonly bytes: Uint8Array }
  | { readonly k: "list" | "tuple" | "set" | "frozenset"; readonly items: PNode[] }
  | { readonly k: "dict"; readonly entries: [PNode, PNode][] }
  | { readonly k: "global"; readonly module: string; readonly name: string }
  | PCall;

/** REDUCE (`callable(*args)`) or NEWOBJ (`cls.__new__(cls, *args)`), plus what followed it. */
export interface PCall {
  readonly k: "reduce" | "newobj";
  readonly callable: PNode;
  readonly args: PNode;
  kwargs?: PNode;
  /** BUILD arguments applied to it, in order. */
  states?: PNode[];
  /** APPEND(S) applied to it (a list subclass). */
  appended?: PNode[];
  /** SETITEM(S) applied to it (a dict subclass such as OrderedDict). */
  setItems?: [PNode, PNode][];
}

export const NONE: PNode = { k: "none" };

export interface PickleLimits {
  /** Largest pickle, in bytes. Default 4 MiB. */
  maxBytes: number;
  /** Deepest nesting. Default 64. */
  maxDepth: number;
  /** Most opcodes and values. Default 200,000. */
  maxNodes: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxNodes: 200_000,
};
