/**
 * The values a foreign session holds, as Node sees them: one vocabulary for every format (Ruby Marshal,
 * Python pickle, PHP serialize, Java serialization, Jackson JSON), so a route reads a Rails, Django, PHP
 * or Spring session the same way.
 *
 * Plain JavaScript where nothing is lost: null, booleans, numbers, BigInt (integers past 2^53), strings
 * (valid UTF-8 text), arrays, and null-prototype objects for string-keyed hashes (so "__proto__" is a
 * key like any other). Everything else is a small typed class below. A value Node cannot understand is
 * a ForeignOpaque: it can be kept and moved, never built from user data, and is written back as read.
 */

/** A foreign integer as JavaScript gives it back: a number while it is exact, else the BigInt. */
export function integerValue(value: bigint): number | bigint {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

/** A Ruby Symbol (`:name`). */
export class RubySymbol {
  readonly kind = "ruby-symbol";
  constructor(readonly name: string) {}
}

/**
 * Bytes that are not UTF-8 text: a Ruby binary (ASCII-8BIT) string, a Ruby string in another encoding or
 * with invalid UTF-8, a Python bytes (or bytearray) value. `encoding` is Ruby's encoding name, or null for
 * binary; for Python it is null, and `bytearray` tells the two Python types apart.
 */
export class ForeignBytes {
  readonly kind = "bytes";
  constructor(
    readonly bytes: Uint8Array,
    readonly encoding: string | null = null,
    readonly bytearray = false,
  ) {}
}

/**
 * An instant with nanoseconds: a Ruby Time or ActiveSupport::TimeWithZone. `utcOffsetSeconds` is the
 * local offset it was read with (null: UTC); `zoneName` is the TimeWithZone's zone, an IANA name when
 * Node writes one (a ForeignTime with a zone name is written as a TimeWithZone).
 */
export class ForeignTime {
  readonly kind = "time";
  constructor(
    readonly epochNanoseconds: bigint,
    readonly utcOffsetSeconds: number | null = null,
    readonly zoneName: string | null = null,
  ) {}
  static fromDate(date: Date, utcOffsetSeconds: number | null = null): ForeignTime {
    return new ForeignTime(BigInt(date.getTime()) * 1_000_000n, utcOffsetSeconds);
  }
  toDate(): Date {
    return new Date(Number(this.epochNanoseconds / 1_000_000n));
  }
}

/**
 * A Python datetime.datetime: its fields as Python keeps them. `utcOffsetSeconds` null means a naive
 * datetime (no tzinfo); otherwise a datetime.timezone with that offset.
 */
export class PyDateTime {
  readonly kind = "py-datetime";
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    readonly utcOffsetSeconds: number | null = null,
  ) {}
  /** The instant; a naive datetime is read as UTC. */
  toDate(): Date {
    const ms = Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second);
    return new Date(ms + Math.trunc(this.microsecond / 1000) - (this.utcOffsetSeconds ?? 0) * 1000);
  }
  /** An aware datetime in UTC, to microseconds (a Date has milliseconds). */
  static fromDate(date: Date): PyDateTime {
    return new PyDateTime(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds() * 1000,
      0,
    );
  }
}

/** A Python datetime.date. */
export class PyDate {
  readonly kind = "py-date";
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {}
}

/** A Python datetime.time (naive, or with a fixed offset). */
export class PyTime {
  readonly kind = "py-time";
  constructor(
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond: number,
    readonly utcOffsetSeconds: number | null = null,
  ) {}
}

/** A Python datetime.timedelta, normalised as Python keeps it (0 <= seconds < 86400, 0 <= µs < 10^6). */
export class PyTimedelta {
  readonly kind = "py-timedelta";
  constructor(
    readonly days: number,
    readonly seconds: number,
    readonly microseconds: number,
  ) {}
}

/** A decimal number kept as its exact text (Python decimal.Decimal: "1.10", "-0", "NaN", "Infinity"). */
export class ForeignDecimal {
  readonly kind = "decimal";
  constructor(readonly text: string) {}
}

/** A Python tuple (immutable list). */
export class ForeignTuple {
  readonly kind = "tuple";
  constructor(readonly items: readonly ForeignValue[]) {}
}

/** A Python set or frozenset. */
export class ForeignSet {
  readonly kind = "set";
  constructor(
    readonly items: readonly ForeignValue[],
    readonly frozen = false,
  ) {}
}

/**
 * A value of a type sessionkit does not map (a Ruby object, Struct, Regexp, a Python class outside the
 * allowlist): inert. `format` and `className` say what it is; the codec that read it writes it back exactly
 * as read, and no codec writes one it did not read (the foreign app would instantiate it).
 */
export class ForeignOpaque {
  readonly kind = "opaque";
  constructor(
    readonly format: string,
    readonly className: string,
    readonly description: string,
  ) {}
}

/** A string-keyed hash or dict, with no prototype (so "__proto__" and "constructor" are plain keys). */
export interface ForeignObject {
  [key: string]: ForeignValue;
}

export type ForeignValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | ForeignValue[]
  | ForeignObject
  | Map<ForeignValue, ForeignValue>
  | RubySymbol
  | ForeignBytes
  | ForeignTime
  | PyDateTime
  | PyDate
  | PyTime
  | PyTimedelta
  | ForeignDecimal
  | ForeignTuple
  | ForeignSet
  | ForeignOpaque;

/** The session itself: its attributes by name. */
export type ForeignSessionData = Record<string, ForeignValue>;

/** A fresh object without a prototype: `__proto__` set on it is an own property, never a prototype. */
export function emptyObject(): ForeignObject {
  return Object.create(null) as ForeignObject;
}

/** A plain object (ours, a literal, or null-prototype), not an array, Map or one of the classes above. */
export function isPlainObject(value: unknown): value is ForeignObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/**
 * Whether a JavaScript object would keep these keys in this order. Integer-like keys ("1", "42") are
 * listed first by every engine, so a hash with such keys is read as a Map to keep its order.
 */
export function keepsKeyOrder(keys: readonly string[]): boolean {
  return !keys.some((key) => /^(0|[1-9]\d{0,9})$/.test(key) && Number(key) < 2 ** 32 - 1);
}

/** Sets an own, enumerable property even for "__proto__" (defineProperty never calls a setter). */
export function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
