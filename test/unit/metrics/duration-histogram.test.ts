import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { DurationHistogram } from "../../../src/metrics/duration-histogram.js";

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.1, 1];

/** The same observations through prom-client's Histogram and through ours, in two registries. */
function both(observations: Array<[kind: string, seconds: number]>) {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({
    name: "d_seconds",
    help: "h",
    labelNames: ["kind"],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const fast = new DurationHistogram({
    name: "d_seconds",
    help: "h",
    label: "kind",
    buckets: BUCKETS,
    registers: [ours],
  });
  for (const [kind, seconds] of observations) {
    reference.observe({ kind }, seconds);
    fast.record(kind, seconds);
  }
  return { theirs, ours, fast };
}

describe("DurationHistogram", () => {
  it("exposes what prom-client's Histogram exposes for the same observations (text and JSON)", async () => {
    const observations: Array<[string, number]> = [];
    for (let i = 0; i < 500; i++) observations.push([i % 3 === 0 ? "read" : "update", (i % 37) / 1000]);
    // On a bound, past every bound, zero.
    observations.push(["read", 0.001], ["read", 5], ["touch", 0]);
    const { theirs, ours } = both(observations);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it("reset() empties it; a NaN or negative duration is not counted", async () => {
    const { theirs, ours, fast } = both([["read", 0.002]]);
    fast.record("read", Number.NaN);
    fast.record("read", -1);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    fast.reset();
    expect(await ours.metrics()).not.toContain("d_seconds_count");
  });
});
