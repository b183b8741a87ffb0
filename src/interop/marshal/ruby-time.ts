import { SessionCodecError } from "../../common/errors.js";
import { ForeignTime } from "../foreign-value.js";
import { FALSE, type MIvar, type MNode, NIL, symbol } from "./marshal-node.js";

/**
 * Ruby's Time#_dump (time.c time_mdump): two little-endian 32-bit words holding the UTC broken-down
 * time and microseconds, then ivars for what does not fit: nano_num/nano_den (nanoseconds below the
 * microsecond), submicro (the same digits in BCD, for old readers), offset (seconds east of UTC) and zone.
 */
export function readRubyTime(bytes: Uint8Array, ivars: MIvar[] | undefined): ForeignTime | undefined {
  if (bytes.length !== 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const p = view.getUint32(0, true);
  const s = view.getUint32(4, true);
  // Before Ruby 1.8 p was seconds and s microseconds; every Rails-era writer sets the top bit.
  if ((p & 0x80000000) === 0) return undefined;
  const utc = ((p >>> 30) & 1) === 1;
  const year = ((p >>> 14) & 0xffff) + 1900;
  const month = (p >>> 10) & 0xf;
  const day = (p >>> 5) & 0x1f;
  const hour = p & 0x1f;
  const minute = (s >>> 26) & 0x3f;
  const second = (s >>> 20) & 0x3f;
  const usec = s & 0xfffff;
  let nanoNum = 0;
  let nanoDen = 1;
  let offset: number | null = null;
  for (const [key, value] of ivars ?? []) {
    const name = new TextDecoder("latin1").decode(key.name);
    if (name === "nano_num" && value.k === "int") nanoNum = value.value;
    else if (name === "nano_den" && value.k === "int") nanoDen = value.value;
    else if (name === "offset" && value.k === "int") offset = value.value;
    else if (name === "year" || name === "nano_num" || name === "nano_den" || name === "offset")
      return undefined;
  }
  if (nanoDen <= 0 || month > 11 || usec > 999_999) return undefined;
  const ms = Date.UTC(year, month, day, hour, minute, second);
  if (!Number.isFinite(ms)) return undefined;
  const subNanos = Math.floor(nanoNum / nanoDen);
  const epochNs = BigInt(ms) * 1_000_000n + BigInt(usec) * 1000n + BigInt(subNanos);
  return new ForeignTime(epochNs, utc ? null : offset);
}

/**
 * Ruby's zone string of UTC times: one frozen object, so the second UTC Time of a stream links to the
 * first one's (one node here does the same through the writer's links).
 */
const UTC_ZONE: MNode = {
  k: "string",
  bytes: new TextEncoder().encode("UTC"),
  ivars: [[symbol("E"), FALSE]],
};

/** A Time in Ruby's _dump format; UTC unless the value has an offset (a fixed-offset Time then). */
export function writeRubyTime(time: ForeignTime): MNode {
  const ns = time.epochNanoseconds;
  const msPart = ns >= 0n ? ns / 1_000_000n : -((-ns + 999_999n) / 1_000_000n);
  const date = new Date(Number(msPart));
  const withinMs = Number(ns - msPart * 1_000_000n);
  const usec = date.getUTCMilliseconds() * 1000 + Math.floor(withinMs / 1000);
  const subNanos = withinMs % 1000;
  const year = date.getUTCFullYear() - 1900;
  if (Number.isNaN(date.getTime()) || year < 0 || year > 0xffff)
    throw new SessionCodecError("a Time outside the years 1900-67435 cannot be written as Ruby Marshal");
  const utc = time.utcOffsetSeconds === null;
  const p =
    (0x80000000 |
      ((utc ? 1 : 0) << 30) |
      (year << 14) |
      (date.getUTCMonth() << 10) |
      (date.getUTCDate() << 5) |
      date.getUTCHours()) >>>
    0;
  const s = ((date.getUTCMinutes() << 26) | (date.getUTCSeconds() << 20) | usec) >>> 0;
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, p, true);
  view.setUint32(4, s, true);
  // The ivars Ruby 3.1 writes, in its order (time.c time_mdump), so Ruby dumps what it loads to the same bytes.
  const ivars: MIvar[] = [];
  if (subNanos !== 0) {
    ivars.push([symbol("nano_num"), { k: "int", value: subNanos }]);
    ivars.push([symbol("nano_den"), { k: "int", value: 1 }]);
    // The same digits in packed BCD, for readers older than nano_num.
    const [d1, d2, d3] = [Math.floor(subNanos / 100), Math.floor(subNanos / 10) % 10, subNanos % 10];
    const bcd = d3 === 0 ? [(d1 << 4) | d2] : [(d1 << 4) | d2, d3 << 4];
    ivars.push([symbol("submicro"), { k: "string", bytes: Uint8Array.from(bcd) }]);
  }
  if (utc) {
    ivars.push([symbol("zone"), UTC_ZONE]);
  } else {
    ivars.push([symbol("zone"), NIL]);
    ivars.push([symbol("offset"), { k: "int", value: time.utcOffsetSeconds as number }]);
  }
  const node: MNode = { k: "userdef", className: symbol("Time"), bytes };
  if (ivars.length > 0) node.ivars = ivars;
  return node;
}

/**
 * An ActiveSupport::TimeWithZone as its marshal_dump writes it: [utc Time, zone name, local wall-clock
 * Time flagged UTC]. The zone must be an IANA name (what Intl knows); the local time is computed here.
 * `zoneNode` is the name's String node, shared per stream as Ruby shares its interned zone names.
 */
export function writeTimeWithZone(time: ForeignTime, zoneNode: MNode): MNode {
  const zone = time.zoneName as string;
  const epochMs = Number(time.epochNanoseconds / 1_000_000n);
  let offsetSeconds: number;
  try {
    const fields: Record<string, number> = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      })
        .formatToParts(new Date(epochMs))
        .map((part) => [part.type, Number(part.value)]),
    );
    const field = (name: string) => fields[name] ?? Number.NaN;
    const wall = Date.UTC(
      field("year"),
      field("month") - 1,
      field("day"),
      field("hour"),
      field("minute"),
      field("second"),
    );
    offsetSeconds = Math.round((wall - Math.floor(epochMs / 1000) * 1000) / 1000);
  } catch (error) {
    throw new SessionCodecError(`a TimeWithZone needs an IANA zone name, not ${JSON.stringify(zone)}`, error);
  }
  const utc = writeRubyTime(new ForeignTime(time.epochNanoseconds));
  const local = writeRubyTime(
    new ForeignTime(time.epochNanoseconds + BigInt(offsetSeconds) * 1_000_000_000n),
  );
  return {
    k: "usermarshal",
    className: symbol("ActiveSupport::TimeWithZone"),
    data: { k: "array", items: [utc, zoneNode, local] },
  };
}
