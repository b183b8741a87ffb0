import { SessionCodecError, sessionTooLarge } from "../../common/errors.js";
import { DEFAULT_PICKLE_LIMITS, NONE, type PCall, type PickleLimits, type PNode } from "./pickle-node.js";

/** The MARK object on the stack (never a value). */
const MARK = Symbol("mark");
type Slot = PNode | typeof MARK;

const latin1 = new TextDecoder("latin1");
const PY2_MODULES = new Map([
  ["__builtin__", "builtins"],
  ["copy_reg", "copyreg"],
]);

/**
 * Reads a pickle (protocols 2 to 5, and the binary opcodes of 0 and 1) into a PNode tree. Nothing is
 * imported or called: GLOBAL is a name, REDUCE a recorded call. Persistent IDs, extension codes and the
 * text opcodes of protocol 0 are refused. The depth limit counts nesting of the finished tree.
 */
export function readPickle(bytes: Uint8Array, limits: Partial<PickleLimits> = {}): PNode {
  const { maxBytes, maxDepth, maxNodes } = { ...DEFAULT_PICKLE_LIMITS, ...limits };
  if (bytes.length > maxBytes)
    throw sessionTooLarge(`a pickle of ${bytes.length} bytes is over the ${maxBytes} byte limit`);
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PNode>();
  const depthOf = new WeakMap<object, number>();
  let offset = 0;
  let steps = 0;

  const need = (n: number) => {
    if (n < 0 || offset + n > bytes.length) throw new SessionCodecError("truncated pickle");
  };
  const u8 = () => {
    need(1);
    return bytes[offset++] as number;
  };
  const u16 = () => {
    need(2);
    offset += 2;
    return data.getUint16(offset - 2, true);
  };
  const u32 = () => {
    need(4);
    offset += 4;
    return data.getUint32(offset - 4, true);
  };
  const u64 = () => {
    need(8);
    offset += 8;
    const n = data.getBigUint64(offset - 8, true);
    if (n > BigInt(bytes.length)) throw new SessionCodecError("truncated pickle");
    return Number(n);
  };
  const take = (n: number) => {
    need(n);
    offset += n;
    return new Uint8Array(bytes.subarray(offset - n, offset));
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, offset);
    if (end < 0) throw new SessionCodecError("truncated pickle");
    const text = latin1.decode(bytes.subarray(offset, end));
    offset = end + 1;
    return text;
  };
  const pop = (): PNode => {
    const top = stack.pop();
    if (top === undefined || top === MARK) throw new SessionCodecError("pickle stack underflow");
    return top;
  };
  const top = (): PNode => {
    const value = stack[stack.length - 1];
    if (value === undefined || value === MARK) throw new SessionCodecError("pickle stack underflow");
    return value;
  };
  const popMark = (): PNode[] => {
    const at = marks.pop();
    if (at === undefined) throw new SessionCodecError("pickle MARK missing");
    const items = stack.splice(at) as Slot[];
    items.shift();
    return items as PNode[];
  };
  /** The nesting depth a new container gets from its children: refused past maxDepth. */
  const nest = <T extends PNode>(node: T, children: readonly PNode[]): T => {
    let depth = 0;
    for (const child of children) depth = Math.max(depth, (depthOf.get(child) ?? 0) + 1);
    if (depth > maxDepth) throw sessionTooLarge(`a pickle nested deeper than ${maxDepth} levels`);
    depthOf.set(node, depth);
    return node;
  };
  const push = (node: PNode) => {
    stack.push(node);
  };
  const int = (value: bigint): PNode => ({ k: "int", value });
  const long = (raw: Uint8Array): bigint => {
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i] as number);
    if (raw.length > 0 && ((raw[raw.length - 1] as number) & 0x80) !== 0)
      value -= 1n << BigInt(8 * raw.length);
    return value;
  };
  const extend = (items: PNode[]) => {
    const target = top();
    if (target.k === "list") appendAll(target.items, items);
    else if (target.k === "set") appendAll(target.items, items);
    else if (target.k === "reduce" || target.k === "newobj") {
      target.appended ??= [];
      appendAll(target.appended, items);
    } else throw new SessionCodecError(`pickle APPENDS to a ${target.k}`);
    nest(target, items);
  };
  const setItems = (items: PNode[]) => {
    if (items.length % 2 !== 0) throw new SessionCodecError("pickle SETITEMS with an odd count");
    const target = top();
    const pairs: [PNode, PNode][] = [];
    for (let i = 0; i < items.length; i += 2) pairs.push([items[i] as PNode, items[i + 1] as PNode]);
    if (target.k === "dict") appendAll(target.entries, pairs);
    else if (target.k === "reduce" || target.k === "newobj") {
      target.setItems ??= [];
      appendAll(target.setItems, pairs);
    } else throw new SessionCodecError(`pickle SETITEMS on a ${target.k}`);
    nest(target, items);
  };
  const memoGet = (index: number) => {
    const value = memo.get(index);
    if (value === undefined) throw new SessionCodecError("pickle memo GET of an unknown index");
    push(value);
  };

  for (;;) {
    steps += 1;
    if (steps > maxNodes) throw sessionTooLarge(`a pickle of more than ${maxNodes} operations`);
    const op = u8();
    switch (op) {
      case 0x80 /* PROTO */:
        if (u8() > 5) throw new SessionCodecError("pickle protocol above 5");
        break;
      case 0x95 /* FRAME */:
        u64();
        break;
      case 0x2e /* STOP */:
        {
          const result = pop();
          if (stack.length !== 0 || offset !== bytes.length)
            throw new SessionCodecError("pickle data after STOP, or values left on the stack");
          return result;
        }
      case 0x28 /* MARK */:
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case 0x30 /* POP */:
        if (stack[stack.length - 1] === MARK) popMark();
        else pop();
        break;
      case 0x31 /* POP_MARK */:
        popMark();
        break;
      case 0x32 /* DUP */:
        push(top());
        break;
      case 0x4e /* NONE */:
        push(NONE);
        break;
      case 0x88 /* NEWTRUE */:
      case 0x89 /* NEWFALSE */:
        push({ k: "bool", value: op === 0x88 });
        break;
      case 0x4b /* BININT1 */:
        push(int(BigInt(u8())));
        break;
      case 0x4d /* BININT2 */:
        push(int(BigInt(u16())));
        break;
      case 0x4a /* BININT */:
        push(int(BigInt(u32() | 0)));
        break;
      case 0x8a /* LONG1 */:
        push(int(long(take(u8()))));
        break;
      case 0x8b /* LONG4 */:
        {
          const n = u32();
          if (n > 1_000_000) throw sessionTooLarge("a pickle integer over a million bytes");
          push(int(long(take(n))));
          break;
        }
      case 0x47 /* BINFLOAT */:
        need(8);
        offset += 8;
        push({ k: "float", value: data.getFloat64(offset - 8, false) });
        break;
      case 0x8c /* SHORT_BINUNICODE */:
        push({ k: "str", bytes: take(u8()) });
        break;
      case 0x58 /* BINUNICODE */:
        push({ k: "str", bytes: take(u32()) });
        break;
      case 0x8d /* BINUNICODE8 */:
        push({ k: "str", bytes: take(u64()) });
        break;
      case 0x43 /* SHORT_BINBYTES */:
        push({ k: "bytes", bytes: take(u8()) });
        break;
      case 0x42 /* BINBYTES */:
        push({ k: "bytes", bytes: take(u32()) });
        break;
      case 0x8e /* BINBYTES8 */:
        push({ k: "bytes", bytes: take(u64()) });
        break;
      case 0x96 /* BYTEARRAY8 */:
        push({ k: "bytearray", bytes: take(u64()) });
        break;
      case 0x55 /* SHORT_BINSTRING */:
      case 0x54 /* BINSTRING */:
        // Python 2 str: Python 3 reads it as str (encoding="ASCII" by default).
        push({ k: "str", bytes: take(op === 0x55 ? u8() : u32()) });
        break;
      case 0x5d /* EMPTY_LIST */:
        push(nest({ k: "list", items: [] }, []));
        break;
      case 0x7d /* EMPTY_DICT */:
        push(nest({ k: "dict", entries: [] }, []));
        break;
      case 0x8f /* EMPTY_SET */:
        push(nest({ k: "set", items: [] }, []));
        break;
      case 0x29 /* EMPTY_TUPLE */:
        push(nest({ k: "tuple", items: [] }, []));
        break;
      case 0x85 /* TUPLE1 */:
      case 0x86 /* TUPLE2 */:
      case 0x87 /* TUPLE3 */:
        {
          const n = op - 0x84;
          const items: PNode[] = [];
          for (let i = 0; i < n; i++) items.unshift(pop());
          push(nest({ k: "tuple", items }, items));
          break;
        }
      case 0x74 /* TUPLE */:
        {
          const items = popMark();
          push(nest({ k: "tuple", items }, items));
          break;
        }
      case 0x6c /* LIST */:
        {
          const items = popMark();
          push(nest({ k: "list", items }, items));
          break;
        }
      case 0x64 /* DICT */:
        {
          const node: PNode = { k: "dict", entries: [] };
          const items = popMark();
          push(node);
          setItems(items);
          break;
        }
      case 0x91 /* FROZENSET */:
        {
          const items = popMark();
          push(nest({ k: "frozenset", items }, items));
          break;
        }
      case 0x61 /* APPEND */:
        extend([pop()]);
        break;
      case 0x65 /* APPENDS */:
      case 0x90 /* ADDITEMS */:
        extend(popMark());
        break;
      case 0x73 /* SETITEM */:
        {
          const value = pop();
          const key = pop();
          setItems([key, value]);
          break;
        }
      case 0x75 /* SETITEMS */:
        setItems(popMark());
        break;
      case 0x94 /* MEMOIZE */:
        memo.set(memo.size, top());
        break;
      case 0x71 /* BINPUT */:
        memo.set(u8(), top());
        break;
      case 0x72 /* LONG_BINPUT */:
        memo.set(u32(), top());
        break;
      case 0x68 /* BINGET */:
        memoGet(u8());
        break;
      case 0x6a /* LONG_BINGET */:
        memoGet(u32());
        break;
      case 0x63 /* GLOBAL */:
        {
          // Python 3 pickles for protocol 2 name Python 2 modules; its unpickler maps them (fix_imports).
          const written = line();
          const module = PY2_MODULES.get(written) ?? written;
          push({ k: "global", module, name: line() });
          break;
        }
      case 0x93 /* STACK_GLOBAL */:
        {
          const name = pop();
          const module = pop();
          if (name.k !== "str" || module.k !== "str")
            throw new SessionCodecError("pickle STACK_GLOBAL without two str");
          push({ k: "global", module: utf8(module.bytes), name: utf8(name.bytes) });
          break;
        }
      case 0x52 /* REDUCE */:
      case 0x81 /* NEWOBJ */:
        {
          const args = pop();
          const callable = pop();
          const k = op === 0x52 ? "reduce" : "newobj";
          push(nest({ k, callable, args } as PCall, [callable, args]));
          break;
        }
      case 0x92 /* NEWOBJ_EX */:
        {
          const kwargs = pop();
          const args = pop();
          const callable = pop();
          push(nest({ k: "newobj", callable, args, kwargs } as PCall, [callable, args, kwargs]));
          break;
        }
      case 0x62 /* BUILD */:
        {
          const state = pop();
          const target = top();
          if (target.k !== "reduce" && target.k !== "newobj")
            throw new SessionCodecError(`pickle BUILD on a ${target.k}`);
          target.states ??= [];
          target.states.push(state);
          nest(target, [state]);
          break;
        }
      default:
        throw new SessionCodecError(`pickle opcode 0x${op.toString(16)} is not read by sessionkit`);
    }
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
function utf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new SessionCodecError("a pickle class name that is not UTF-8");
  }
}

/** push(...items) without spreading: a pickle may hold more items than a call takes arguments. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
