import { Counter, type Registry } from "prom-client";

/**
 * A prom-client Counter fed from plain tallies: a request adds one to a number (a few ns), and the counter
 * takes the difference when it is scraped. prom-client's own inc() checks and hashes its labels on every
 * call, which the request path would pay (bench/micro.ts).
 */
export class Tally {
  readonly counter: Counter<string>;
  readonly #label: string | undefined;
  /** Label value ("" without a label) -> count; the values are a fixed set, so the map stays small. */
  readonly #counts = new Map<string, number>();
  readonly #reported = new Map<string, number>();

  constructor(options: { name: string; help: string; label?: string; registers: Registry[] }) {
    this.#label = options.label;
    const flush = () => this.#flush();
    this.counter = new Counter({
      name: options.name,
      help: options.help,
      labelNames: options.label === undefined ? [] : [options.label],
      registers: options.registers,
      collect: flush,
    });
  }

  add(value = ""): void {
    this.#counts.set(value, (this.#counts.get(value) ?? 0) + 1);
  }

  #flush(): void {
    for (const [value, count] of this.#counts) {
      const delta = count - (this.#reported.get(value) ?? 0);
      if (delta <= 0) continue;
      if (this.#label === undefined) this.counter.inc(delta);
      else this.counter.inc({ [this.#label]: value }, delta);
      this.#reported.set(value, count);
    }
  }
}
