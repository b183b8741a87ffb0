import { describe, expect, it } from "vitest";
import { StreamingHistogram } from "../../../src/admin/histogram.js";

describe("StreamingHistogram", () => {
  it("counts each value in the first bucket whose bound it does not exceed, and the rest above", () => {
    const histogram = new StreamingHistogram("ms", [10, 100]);
    for (const value of [1, 10, 11, 100, 101, 5000, Number.NaN]) histogram.add(value);
    expect(histogram.toJSON()).toEqual({
      unit: "ms",
      count: 6,
      min: 1,
      max: 5000,
      buckets: [
        { le: 10, count: 2 },
        { le: 100, count: 2 },
        { le: null, count: 2 },
      ],
    });
  });

  it("says null for min and max when empty", () => {
    expect(new StreamingHistogram("bytes", [1]).toJSON()).toMatchObject({ count: 0, min: null, max: null });
  });
});
