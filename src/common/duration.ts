import { SessionConfigError } from "./errors.js";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration as milliseconds (number) or a string such as "500ms", "30s", "15m", "2h", "14d", "1w". */
export type Duration = number | string;

/** Parses a Duration into milliseconds; throws a SessionConfigError naming the option on bad input. */
export function toMilliseconds(value: Duration, optionName: string): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return Math.floor(value);
    throw new SessionConfigError(`${optionName} must be a non-negative number of milliseconds, got ${value}`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(value);
  const unit = match?.[2];
  if (!match || unit === undefined) {
    throw new SessionConfigError(
      `${optionName} must be milliseconds or a string like "30s", "15m", "2h", "14d"; got ${JSON.stringify(value)}`,
    );
  }
  return Math.floor(Number(match[1]) * (UNIT_MS[unit] ?? 1));
}
