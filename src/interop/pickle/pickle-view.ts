import { SessionCodecError, sessionTooLarge } from "../../common/errors.js";
import {
  defineOwn,
  emptyObject,
  ForeignBytes,
  ForeignDecimal,
  ForeignOpaque,
  ForeignSet,
  ForeignTuple,
  type ForeignValue,
  integerValue,
  isPlainObject,
  keepsKeyOrder,
  PyDate,
  PyDateTime,
  PyTime,
  PyTimedelta,
} from "../foreign-value.js";
import { NONE, type PNode } from "./pickle-node.js";

const MAX_DEPTH = 64;
const opaqueNodes = new WeakMap<ForeignOpaque, PNode>();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** What the reader does with a class outside the allowlist: keep it inert, or refuse the record. */
export type UnknownTypes = "opaque" | "refuse";

function className(node: PNode): string {
  return node.k === "global" ? `${node.module}.${node.name}` : node.k;
}

function args(node: PNode & { k: "reduce" | "newobj" }): PNode[] | undefined {
  if (node.kwargs || node.states || node.appended || node.setItems) return undefined;
  return node.args.k === "tuple" ? node.args.items : undefined;
}

function int(node: PNode | undefined): number | undefined {
  return node?.k === "int" && node.value >= -(2n ** 53n) && node.value <= 2n ** 53n
    ? Number(node.value)
    : undefined;
}

/** A datetime.timezone's offset in seconds, or undefined for any other tzinfo (zoneinfo, pytz...). */
function timezoneOffset(node: PNode | undefined): number | null | undefined {
  if (node === undefined || node.k === "none") return null;
  if (node.k !== "reduce" || className(node.callable) !== "datetime.timezone") return undefined;
  const [delta, name] = args(node) ?? [];
  if (name !== undefined || delta?.k !== "reduce" || className(delta.callable) !== "datetime.timedelta")
    return undefined;
  const [days, seconds, micro] = (args(delta) ?? []).map(int);
  if (days === undefined || seconds === undefined || (micro ?? 0) !== 0) return undefined;
  return days * 86400 + seconds;
}

/** The allowlisted REDUCE calls as typed values (datetime's and Decimal's own pickled forms). */
function typedValue(
  node: PNode & { k: "reduce" | "newobj" },
  inner: (child: PNode) => ForeignValue,
): ForeignValue | undefined {
  const list = node.k === "reduce" ? args(node) : undefined;
  if (!list) return undefined;
  const [first, second] = list;
  const raw = first?.k === "bytes" ? first.bytes : undefined;
  switch (className(node.callable)) {
    case "datetime.datetime": {
      const offset = timezoneOffset(second);
      if (raw?.length !== 10 || offset === undefined || list.length > 2) return undefined;
      const us = ((raw[7] as number) << 16) | ((raw[8] as number) << 8) | (raw[9] as number);
      // The high bit of the month byte is `fold` (PEP 495): kept only by the node, not the view.
      return new PyDateTime(
        ((raw[0] as number) << 8) | (raw[1] as number),
        (raw[2] as number) & 0x7f,
        raw[3] as number,
        raw[4] as number,
        raw[5] as number,
        raw[6] as number,
        us,
        offset,
      );
    }
    case "datetime.date":
      if (raw?.length !== 4 || list.length !== 1) return undefined;
      return new PyDate(((raw[0] as number) << 8) | (raw[1] as number), raw[2] as number, raw[3] as number);
    case "datetime.time": {
      const offset = timezoneOffset(second);
      if (raw?.length !== 6 || offset === undefined || list.length > 2) return undefined;
      const us = ((raw[3] as number) << 16) | ((raw[4] as number) << 8) | (raw[5] as number);
      return new PyTime((raw[0] as number) & 0x7f, raw[1] as number, raw[2] as number, us, offset);
    }
    case "datetime.timedelta": {
      const [days, seconds, micro] = list.map(int);
      if (list.length !== 3 || days === undefined || seconds === undefined || micro === undefined)
        return undefined;
      return new PyTimedelta(days, seconds, micro);
    }
    // Protocols 2 and 3 write these as calls (pickle.py save_bytes, save_set; bytearray.__reduce_ex__).
    case "_codecs.encode":
    case "builtins.bytearray": {
      const [text, encoding] = list.map((item) => (item.k === "str" ? utf8(item.bytes) : undefined));
      const latin = /^latin[-_]?1$/.test(encoding ?? "") && text !== undefined && /^[\0-\xff]*$/u.test(text);
      const bytes = latin ? Uint8Array.from(text as string, (c) => c.charCodeAt(0)) : raw;
      if (!bytes || list.length > (latin ? 2 : 1)) return undefined;
      if (className(node.callable) === "_codecs.encode" && !latin) return undefined;
      return new ForeignBytes(bytes, null, className(node.callable) === "builtins.bytearray");
    }
    case "builtins.set":
    case "builtins.frozenset":
      if (first?.k !== "list" || list.length !== 1) return undefined;
      return new ForeignSet(first.items.map(inner), className(node.callable) === "builtins.frozenset");
    case "decimal.Decimal":
      return first?.k === "str" && list.length === 1
        ? new ForeignDecimal(utf8(first.bytes) ?? "")
        : undefined;
    default:
      return undefined;
  }
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Node's view of a pickled value (see foreign-value.ts). */
export function pickleToValue(
  node: PNode,
  unknown: UnknownTypes = "opaque",
  seen = new Map<PNode, ForeignValue>(),
  depth = 0,
): ForeignValue {
  if (depth > MAX_DEPTH) throw sessionTooLarge(`a pickled value nested deeper than ${MAX_DEPTH} levels`);
  const known = seen.get(node);
  if (known !== undefined) return known;
  const inner = (child: PNode) => pickleToValue(child, unknown, seen, depth + 1);
  const opaque = (name: string, description: string) => {
    if (unknown === "refuse") throw new SessionCodecError(`a pickled ${name} is outside the allowlist`);
    const value = new ForeignOpaque("python-pickle", name, description);
    opaqueNodes.set(value, node);
    seen.set(node, value);
    return value;
  };
  switch (node.k) {
    case "none":
      return null;
    case "bool":
      return node.value;
    case "int":
      return integerValue(node.value);
    case "float":
      return node.value;
    case "str": {
      const text = utf8(node.bytes);
      return text ?? opaque("str", "a str with lone surrogates");
    }
    case "bytes":
    case "bytearray":
      return new ForeignBytes(node.bytes, null, node.k === "bytearray");
    case "list": {
      const items: ForeignValue[] = [];
      seen.set(node, items);
      for (const item of node.items) items.push(inner(item));
      return items;
    }
    case "tuple":
      return new ForeignTuple(node.items.map(inner));
    case "set":
    case "frozenset":
      return new ForeignSet(node.items.map(inner), node.k === "frozenset");
    case "dict": {
      const keys = node.entries.map(([key]) => (key.k === "str" ? utf8(key.bytes) : undefined));
      if (keys.every((key) => key !== undefined) && keepsKeyOrder(keys as string[])) {
        const object = emptyObject();
        seen.set(node, object);
        node.entries.forEach(([, value], i) => {
          defineOwn(object, keys[i] as string, inner(value));
        });
        return object;
      }
      const map = new Map<ForeignValue, ForeignValue>();
      seen.set(node, map);
      for (const [key, value] of node.entries) map.set(inner(key), inner(value));
      return map;
    }
    case "global":
      return opaque(className(node), "a class or function reference");
    case "reduce":
    case "newobj":
      return (
        typedValue(node, inner) ??
        opaque(className(node.callable), "an object of a class outside the allowlist")
      );
  }
}

const DECIMAL = /^[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|Infinity|Inf|s?NaN\d*)$/i;

function global(module: string, name: string): PNode {
  return { k: "global", module, name };
}

function call(module: string, name: string, items: PNode[]): PNode {
  return { k: "reduce", callable: global(module, name), args: { k: "tuple", items } };
}

function intNode(value: number): PNode {
  return { k: "int", value: BigInt(value) };
}

function timezone(offset: number | null): PNode[] {
  if (offset === null) return [];
  if (!Number.isInteger(offset) || Math.abs(offset) >= 86400)
    throw new SessionCodecError("a UTC offset must be whole seconds within a day");
  const days = Math.floor(offset / 86400);
  const delta = call("datetime", "timedelta", [intNode(days), intNode(offset - days * 86400), intNode(0)]);
  return [call("datetime", "timezone", [delta])];
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new SessionCodecError(`${what} is out of range for Python`);
}

/**
 * The pickle node for a value Node wrote: data opcodes, plus GLOBAL/REDUCE of the allowlist only
 * (datetime.datetime, date, time, timedelta, timezone, decimal.Decimal). An opaque value only as read.
 */
export function valueToPickle(value: unknown, seen = new Map<object, PNode>(), depth = 0): PNode {
  if (depth > MAX_DEPTH) throw sessionTooLarge(`a value nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || value === undefined) return NONE;
  if (typeof value === "boolean") return { k: "bool", value };
  if (typeof value === "number")
    return Number.isInteger(value) && !Object.is(value, -0)
      ? { k: "int", value: BigInt(value) }
      : { k: "float", value };
  if (typeof value === "bigint") return { k: "int", value };
  if (typeof value === "string") {
    if (/\p{Surrogate}/u.test(value)) throw new SessionCodecError("a string with a lone surrogate");
    return { k: "str", bytes: encoder.encode(value) };
  }
  if (typeof value !== "object") throw new SessionCodecError(`cannot pickle a ${typeof value}`);
  const known = seen.get(value);
  if (known) return known;
  const inner = (child: unknown) => valueToPickle(child, seen, depth + 1);
  if (value instanceof ForeignOpaque) {
    const node = opaqueNodes.get(value);
    if (!node) throw new SessionCodecError("an opaque value can only be written back where it was read");
    return node;
  }
  if (value instanceof ForeignBytes)
    return { k: value.bytearray ? "bytearray" : "bytes", bytes: value.bytes };
  if (value instanceof ForeignTuple) return { k: "tuple", items: value.items.map(inner) };
  if (value instanceof ForeignSet)
    return { k: value.frozen ? "frozenset" : "set", items: value.items.map(inner) };
  if (value instanceof ForeignDecimal) {
    check(DECIMAL.test(value.text), `Decimal("${value.text}")`);
    return call("decimal", "Decimal", [{ k: "str", bytes: encoder.encode(value.text) }]);
  }
  if (value instanceof Date) return valueToPickle(PyDateTime.fromDate(value), seen, depth);
  if (value instanceof PyDateTime) {
    const { year, month, day, hour, minute, second, microsecond: us } = value;
    check(year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31, "a datetime");
    check(hour < 24 && minute < 60 && second < 60 && us >= 0 && us < 1_000_000, "a datetime");
    const raw = [
      year >> 8,
      year & 0xff,
      month,
      day,
      hour,
      minute,
      second,
      us >> 16,
      (us >> 8) & 0xff,
      us & 0xff,
    ];
    return call("datetime", "datetime", [
      { k: "bytes", bytes: Uint8Array.from(raw) },
      ...timezone(value.utcOffsetSeconds),
    ]);
  }
  if (value instanceof PyDate) {
    const { year, month, day } = value;
    check(year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31, "a date");
    return call("datetime", "date", [
      { k: "bytes", bytes: Uint8Array.from([year >> 8, year & 0xff, month, day]) },
    ]);
  }
  if (value instanceof PyTime) {
    const { hour, minute, second, microsecond: us } = value;
    check(hour >= 0 && hour < 24 && minute < 60 && second < 60 && us >= 0 && us < 1_000_000, "a time");
    const raw = [hour, minute, second, us >> 16, (us >> 8) & 0xff, us & 0xff];
    return call("datetime", "time", [
      { k: "bytes", bytes: Uint8Array.from(raw) },
      ...timezone(value.utcOffsetSeconds),
    ]);
  }
  if (value instanceof PyTimedelta) {
    const { days, seconds, microseconds } = value;
    check(Math.abs(days) <= 999_999_999 && seconds >= 0 && seconds < 86400, "a timedelta");
    check(microseconds >= 0 && microseconds < 1_000_000, "a timedelta");
    return call("datetime", "timedelta", [intNode(days), intNode(seconds), intNode(microseconds)]);
  }
  if (Array.isArray(value)) {
    const node: PNode = { k: "list", items: [] };
    seen.set(value, node);
    for (const item of value) node.items.push(inner(item));
    return node;
  }
  if (value instanceof Map || isPlainObject(value)) {
    const node: PNode & { k: "dict" } = { k: "dict", entries: [] };
    seen.set(value, node);
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    for (const [key, item] of entries) {
      const keyNode = inner(key);
      // Python refuses these as dict keys at load time, which would lose the whole session.
      if (["list", "dict", "set", "bytearray"].includes(keyNode.k))
        throw new SessionCodecError(`a ${keyNode.k} cannot be a Python dict key`);
      node.entries.push([keyNode, inner(item)]);
    }
    return node;
  }
  throw new SessionCodecError(
    `cannot pickle a ${value.constructor?.name ?? "object"} (use plain data, Map, ForeignTuple, ForeignSet, ForeignBytes, PyDateTime, ForeignDecimal)`,
  );
}
