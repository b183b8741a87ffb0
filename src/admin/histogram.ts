/**
 * A streaming histogram with fixed bucket bounds: memory is one counter per bucket whatever the number of
 * values, so a scan of ten million sessions keeps the same few bytes per histogram.
 */
export interface HistogramBucket {
  /** Values up to and including this bound (the last bucket's is null: everything above). */
  le: number | null;
  count: number;
}

export interface Histogram {
  unit: string;
  count: number;
  min: number | null;
  max: number | null;
  buckets: HistogramBucket[];
}

export class StreamingHistogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  readonly #unit: string;
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  constructor(unit: string, bounds: readonly number[]) {
    this.#unit = unit;
    this.#bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#count++;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    let i = 0;
    while (i < this.#bounds.length && value > (this.#bounds[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] as number) + 1;
  }

  toJSON(): Histogram {
    return {
      unit: this.#unit,
      count: this.#count,
      min: this.#count === 0 ? null : this.#min,
      max: this.#count === 0 ? null : this.#max,
      buckets: this.#counts.map((count, i) => ({ le: this.#bounds[i] ?? null, count })),
    };
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bounds for durations in ms: a minute to a month, the range of session timeouts. */
export const DURATION_BOUNDS_MS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  HOUR,
  4 * HOUR,
  DAY,
  3 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];

/** Bounds for record sizes in bytes: powers of two from 64 B to 64 KB. */
export const SIZE_BOUNDS_BYTES = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16_384, 65_536];
