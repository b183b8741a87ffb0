import { SessionCodecError, sessionTooLarge } from "../../common/errors.js";
import type { PNode } from "./pickle-node.js";

export type PickleProtocol = 3 | 4 | 5;
const MAX_DEPTH = 200;

/**
 * Writes a PNode tree as a pickle with the binary opcodes of `protocol` (3 to 5: 2 cannot hold bytes
 * without calling _codecs.encode). Nodes met twice (shared or cyclic) are memoized and fetched with
 * BINGET / LONG_BINGET. GLOBAL and REDUCE appear only where the tree has them: pickle-view.ts builds
 * them only for its allowlist, or keeps an opaque node exactly as it was read.
 */
export function writePickle(node: PNode, protocol: PickleProtocol = 4): Uint8Array {
  const out: number[] = [0x80, protocol];
  const memo = new Map<PNode, number>();
  const building = new Set<PNode>();
  const encoder = new TextEncoder();

  const u32 = (n: number) => out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  const u64 = (n: number) => {
    u32(n % 2 ** 32);
    u32(Math.floor(n / 2 ** 32));
  };
  const push = (bytes: Uint8Array) => {
    for (const b of bytes) out.push(b);
  };
  const memoize = (value: PNode) => {
    const index = memo.size;
    memo.set(value, index);
    if (protocol >= 4) out.push(0x94);
    else if (index < 256) out.push(0x71, index);
    else {
      out.push(0x72);
      u32(index);
    }
  };
  const str = (bytes: Uint8Array) => {
    if (bytes.length < 256) out.push(0x8c, bytes.length);
    else if (bytes.length < 2 ** 32) {
      out.push(0x58);
      u32(bytes.length);
    } else {
      out.push(0x8d);
      u64(bytes.length);
    }
    push(bytes);
  };
  const batches = (items: number, each: (from: number, to: number) => void) => {
    // Python writes at most 1000 items per APPENDS / SETITEMS, so its unpickler's stack stays small.
    for (let from = 0; from < items; from += 1000) each(from, Math.min(items, from + 1000));
  };

  const write = (value: PNode, depth: number): void => {
    if (depth > MAX_DEPTH) throw sessionTooLarge(`a pickle nested deeper than ${MAX_DEPTH} levels`);
    const seen = memo.get(value);
    if (seen !== undefined) {
      if (seen < 256) out.push(0x68, seen);
      else {
        out.push(0x6a);
        u32(seen);
      }
      return;
    }
    switch (value.k) {
      case "none":
        out.push(0x4e);
        return;
      case "bool":
        out.push(value.value ? 0x88 : 0x89);
        return;
      case "int": {
        writeInt(out, value.value);
        return;
      }
      case "float": {
        out.push(0x47);
        const bytes = new Uint8Array(8);
        new DataView(bytes.buffer).setFloat64(0, value.value, false);
        push(bytes);
        return;
      }
      case "str":
        str(value.bytes);
        {
          memoize(value);
          return;
        }
      case "bytes":
      case "bytearray":
        if (value.k === "bytearray" && protocol < 5) {
          // bytearray(b"...") through the allowlisted builtins.bytearray, as Python writes it before protocol 5.
          const bytes: PNode = { k: "bytes", bytes: value.bytes };
          const callable: PNode = { k: "global", module: "builtins", name: "bytearray" };
          write({ k: "reduce", callable, args: { k: "tuple", items: [bytes] } }, depth);
          return;
        }
        if (value.k === "bytearray") {
          out.push(0x96);
          u64(value.bytes.length);
        } else if (value.bytes.length < 256) out.push(0x43, value.bytes.length);
        else {
          out.push(0x42);
          u32(value.bytes.length);
        }
        push(value.bytes);
        {
          memoize(value);
          return;
        }
      case "list":
      case "set":
        if (value.k === "set" && protocol < 4) throw new SessionCodecError("a set needs pickle protocol 4");
        out.push(value.k === "list" ? 0x5d : 0x8f);
        memoize(value);
        batches(value.items.length, (from, to) => {
          out.push(0x28);
          for (const item of value.items.slice(from, to)) write(item, depth + 1);
          out.push(value.k === "list" ? 0x65 : 0x90);
        });
        return;
      case "dict":
        out.push(0x7d);
        memoize(value);
        batches(value.entries.length, (from, to) => {
          out.push(0x28);
          for (const [key, item] of value.entries.slice(from, to)) {
            write(key, depth + 1);
            write(item, depth + 1);
          }
          out.push(0x75);
        });
        return;
      case "tuple":
      case "frozenset": {
        if (building.has(value)) throw new SessionCodecError("a tuple that contains itself");
        if (value.k === "frozenset" && protocol < 4)
          throw new SessionCodecError("a frozenset needs pickle protocol 4");
        building.add(value);
        out.push(0x28);
        for (const item of value.items) write(item, depth + 1);
        out.push(value.k === "tuple" ? 0x74 : 0x91);
        building.delete(value);
        memoize(value);
        return;
      }
      case "global":
        if (protocol >= 4) {
          str(encoder.encode(value.module));
          str(encoder.encode(value.name));
          out.push(0x93);
        } else {
          if (/[\n]/.test(value.module + value.name))
            throw new SessionCodecError("a newline in a class name");
          out.push(0x63);
          push(encoder.encode(`${value.module}\n${value.name}\n`));
        }
        {
          memoize(value);
          return;
        }
      case "reduce":
      case "newobj": {
        if (building.has(value)) throw new SessionCodecError("an object whose arguments contain itself");
        building.add(value);
        write(value.callable, depth + 1);
        write(value.args, depth + 1);
        if (value.kwargs) write(value.kwargs, depth + 1);
        out.push(value.k === "reduce" ? 0x52 : value.kwargs ? 0x92 : 0x81);
        building.delete(value);
        memoize(value);
        const { appended = [], setItems = [], states = [] } = value;
        if (appended.length > 0) {
          out.push(0x28);
          for (const item of appended) write(item, depth + 1);
          out.push(0x65);
        }
        if (setItems.length > 0) {
          out.push(0x28);
          for (const [key, item] of setItems) {
            write(key, depth + 1);
            write(item, depth + 1);
          }
          out.push(0x75);
        }
        for (const state of states) {
          write(state, depth + 1);
          out.push(0x62);
        }
        return;
      }
    }
  };
  write(node, 0);
  out.push(0x2e);
  return Uint8Array.from(out);
}

function writeInt(out: number[], value: bigint): void {
  if (value >= 0n && value < 256n) out.push(0x4b, Number(value));
  else if (value >= 0n && value < 65536n) out.push(0x4d, Number(value & 0xffn), Number(value >> 8n));
  else if (value >= -(2n ** 31n) && value < 2n ** 31n) {
    const n = Number(value) >>> 0;
    out.push(0x4a, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  } else {
    // LONG1: little-endian two's complement in as few bytes as keep the sign (pickle.py encode_long).
    const bytes: number[] = [];
    let rest = value;
    for (;;) {
      bytes.push(Number(rest & 0xffn));
      rest >>= 8n;
      const signBit = ((bytes[bytes.length - 1] as number) & 0x80) !== 0;
      if ((rest === 0n && !signBit) || (rest === -1n && signBit)) break;
    }
    if (bytes.length > 255) throw new SessionCodecError("an integer too large for pickle LONG1");
    out.push(0x8a, bytes.length, ...bytes);
  }
}
