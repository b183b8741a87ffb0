import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CookieIssuer, INVALID_COOKIE, NO_COOKIE } from "../../../../src/session/cookies/cookie-issuer.js";
import { resolveCookieOptions } from "../../../../src/session/cookies/session-cookie.js";
import { generateSessionId, sessionKeyId } from "../../../../src/session/session-id.js";
import { TEST_SECRET } from "../../../support/browser.js";
import { FUZZ_TIMEOUT_MS, RUNS } from "../../../support/fuzz.js";

const issuer = () => new CookieIssuer(resolveCookieOptions(), TEST_SECRET);

describe("cookie parsing and verification, property-based", () => {
  it("never throws on any Cookie header, and accepts nothing it did not sign", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const cookies = issuer();
    const header = fc.oneof(
      fc.string(),
      fc.string().map((v) => `sid=${v}`),
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => `a=${a}; sid=${b}; sid=${a}`),
      fc.string().map((v) => `sid=${generateSessionId()}.${v}`),
    );
    fc.assert(
      fc.property(header, (h) => {
        const result = cookies.verify(h);
        expect(result === NO_COOKIE || result === INVALID_COOKIE).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("verifies what it issued, and nothing with one character changed", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const cookies = issuer();
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(..."ABCxyz019-_."), (position, replacement) => {
        const id = generateSessionId();
        const keyId = sessionKeyId(id);
        const pair = (cookies.issue(id, keyId, undefined, false).split(";")[0] as string).slice(
          "sid=".length,
        );
        expect(cookies.verify(`sid=${pair}`)).toMatchObject({ id, keyId, signedWithOldSecret: false });
        const at = position % pair.length;
        const changed = `${pair.slice(0, at)}${replacement}${pair.slice(at + 1)}`;
        if (changed !== pair) expect(issuer().verify(`sid=${changed}`)).toBe(INVALID_COOKIE);
      }),
      { numRuns: Math.min(RUNS, 100_000) },
    );
  });
});
