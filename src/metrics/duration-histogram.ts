import { Histogram, type MetricType, type Registry } from "prom-client";

interface Series {
  /** Observations per bucket (not cumulative); the last one is past every bound (+Inf). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
  /** prom-client's bucket values carry one (null without exemplars); the registry's JSON shows it. */
  exemplar?: null;
}

/**
 * A prom-client Histogram with one label whose observations are recorded by record(): a bucket search and
 * three additions. prom-client's own observe() hashes its labels on every call (about 0.4 µs, paid on
 * every request: bench/README.md); here the registry gets the same series when it is scraped.
 */
export class DurationHistogram extends Histogram<string> {
  readonly #bounds: readonly number[];
  readonly #label: string;
  readonly #name: string;
  readonly #help: string;
  readonly #series = new Map<string, Series>();

  constructor(options: {
    name: string;
    help: string;
    label: string;
    buckets: number[];
    registers: Registry[];
  }) {
    super({
      name: options.name,
      help: options.help,
      labelNames: [options.label],
      buckets: options.buckets,
      registers: options.registers,
    });
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    this.#label = options.label;
    this.#name = options.name;
    this.#help = options.help;
  }

  record(labelValue: string, seconds: number): void {
    if (!(seconds >= 0)) return;
    let series = this.#series.get(labelValue);
    if (series === undefined) {
      series = { buckets: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(labelValue, series);
    }
    let bucket = 0;
    while (bucket < this.#bounds.length && seconds > (this.#bounds[bucket] as number)) bucket++;
    series.buckets[bucket] = (series.buckets[bucket] as number) + 1;
    series.sum += seconds;
    series.count++;
  }

  /** What the registry formats (prom-client calls it for the text exposition). */
  async getForPromString() {
    const values: ExportedValue[] = [];
    for (const [labelValue, series] of this.#series) {
      const sharedLabels = { [this.#label]: labelValue };
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.buckets[i] as number;
        values.push({
          labels: { le: bound },
          sharedLabels,
          value: cumulative,
          metricName: `${this.#name}_bucket`,
          exemplar: null,
        });
      });
      values.push(
        {
          labels: { le: "+Inf" },
          sharedLabels,
          value: series.count,
          metricName: `${this.#name}_bucket`,
          exemplar: null,
        },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${this.#name}_sum` },
        { labels: {}, sharedLabels, value: series.count, metricName: `${this.#name}_count` },
      );
    }
    return {
      name: this.#name,
      help: this.#help,
      // prom-client's typings declare MetricType a numeric enum; its metrics carry the string.
      type: "histogram" as unknown as MetricType,
      values,
      aggregator: "sum" as const,
    };
  }

  override async get(): ReturnType<Histogram<string>["get"]> {
    const metric = await this.getForPromString();
    // The shape prom-client's own get() answers (its typings ask for a collect function it never sets).
    return {
      ...metric,
      values: metric.values.map(({ labels, sharedLabels, ...value }) => ({
        ...value,
        labels: { ...labels, ...sharedLabels },
      })),
    } as unknown as Awaited<ReturnType<Histogram<string>["get"]>>;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    if (#series in this) this.#series.clear();
  }
}
