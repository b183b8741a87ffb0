import type { SessionAdmin } from "../admin/session-admin.js";
import type { SessionStats } from "../admin/session-stats.js";

/** What a scrape reads: the last stats scan's figures. */
export interface GaugeReading {
  sessions: number;
  bytes: number;
}

export interface CachedStatsOptions {
  /** A scan runs at most once per this interval, counted from the end of the last one. */
  intervalMs: number;
  /** How long a scrape waits for a scan it started before it answers with the previous figures. */
  scrapeWaitMs: number;
  /** Sessions per primary whose MEMORY USAGE is measured (the rest is extrapolated). */
  memorySample: number;
}

/**
 * The admin API's stats behind a cache, so that a scrape never costs more than one scan per interval: the
 * scan visits every session (SCAN + one small script per key, paced by the admin's default rate), which on
 * millions of sessions takes longer than a scrape may. One scan at a time; a scrape that finds the figures
 * stale starts one and waits for it only briefly, then answers with the figures it has.
 */
export class CachedStats {
  readonly #admin: SessionAdmin;
  readonly #options: CachedStatsOptions;
  #reading: GaugeReading | undefined;
  #finishedAt = Number.NEGATIVE_INFINITY;
  #running: Promise<void> | undefined;
  #abort = new AbortController();

  constructor(admin: SessionAdmin, options: CachedStatsOptions) {
    this.#admin = admin;
    this.#options = options;
  }

  async read(): Promise<GaugeReading | undefined> {
    if (performance.now() - this.#finishedAt >= this.#options.intervalMs) {
      this.#running ??= this.#scan();
      const running = this.#running;
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#options.scrapeWaitMs);
        timer.unref();
      });
      await Promise.race([running, waited]);
      clearTimeout(timer);
    }
    return this.#reading;
  }

  async #scan(): Promise<void> {
    try {
      const stats: SessionStats = await this.#admin.stats({
        memorySample: this.#options.memorySample,
        signal: this.#abort.signal,
      });
      this.#reading = { sessions: stats.sessions, bytes: stats.bytes };
    } catch {
      // Redis down or a store without Redis: the gauges keep their last figures (or stay absent); the
      // request metrics (store errors, fail-open) are where an outage shows.
    } finally {
      this.#finishedAt = performance.now();
      this.#running = undefined;
    }
  }

  /** Stops a scan under way (unregistering must not leave one running against Redis). */
  stop(): void {
    this.#abort.abort();
    this.#abort = new AbortController();
  }
}
