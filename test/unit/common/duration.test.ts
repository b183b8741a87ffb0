import { describe, expect, it } from "vitest";
import { toMilliseconds } from "../../../src/common/duration.js";
import { SessionConfigError } from "../../../src/common/errors.js";

describe("durations", () => {
  it("parses numbers and unit strings", () => {
    expect(toMilliseconds(1500, "x")).toBe(1500);
    expect(toMilliseconds("250ms", "x")).toBe(250);
    expect(toMilliseconds("30s", "x")).toBe(30_000);
    expect(toMilliseconds("15m", "x")).toBe(900_000);
    expect(toMilliseconds("2h", "x")).toBe(7_200_000);
    expect(toMilliseconds("14d", "x")).toBe(1_209_600_000);
    expect(toMilliseconds("1.5h", "x")).toBe(5_400_000);
  });

  it("names the option in the error for bad input", () => {
    for (const bad of ["2 hours", "", "-1s", "1y", Number.NaN, -5, Number.POSITIVE_INFINITY]) {
      expect(() => toMilliseconds(bad, "idleTimeout")).toThrow(/idleTimeout/);
      expect(() => toMilliseconds(bad, "idleTimeout")).toThrow(SessionConfigError);
    }
  });
});
