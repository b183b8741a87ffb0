import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SessionConfigError } from "../../../../src/common/errors.js";
import { parseRedisUrl, redact } from "../../../../src/redis/connection/redis-url.js";
import { FUZZ_TIMEOUT_MS, RUNS } from "../../../support/fuzz.js";

describe("Redis URL parser, property-based", () => {
  it("parses or refuses with a SessionConfigError, never anything else", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const url = fc.oneof(
      fc.string(),
      fc.string().map((s) => `redis://${s}`),
      fc.string().map((s) => `redis+cluster://${s}`),
      fc.string().map((s) => `rediss+sentinel://${s}/master`),
    );
    fc.assert(
      fc.property(url, (u) => {
        try {
          parseRedisUrl(u);
        } catch (error) {
          expect(error).toBeInstanceOf(SessionConfigError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("reads back user, password, host, port and db, and never shows the password", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const secret = fc.string({ minLength: 6 }).filter((s) => s.trim().length >= 6);
    const host = fc.constantFrom("127.0.0.1", "cache.example.com", "[::1]", "redis-0.internal");
    fc.assert(
      fc.property(
        fc.string(),
        secret,
        host,
        fc.integer({ min: 1, max: 65535 }),
        fc.integer({ min: 0, max: 15 }),
        (user, password, h, port, db) => {
          const url = `redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${h}:${port}/${db}`;
          const parsed = parseRedisUrl(url);
          expect(parsed).toMatchObject({
            kind: "standalone",
            password,
            db,
            node: { host: h.replace(/^\[|\]$/g, ""), port },
          });
          if (user !== "") expect(parsed.username).toBe(user);
          expect(redact(url)).not.toContain(encodeURIComponent(password));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
