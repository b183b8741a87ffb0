import { parse, serialize } from "cookie";
import { describe, expect, it } from "vitest";
import {
  resolveCookieOptions,
  serializeSessionCookie,
} from "../../../../src/session/cookies/session-cookie.js";

describe("session cookie serialisation", () => {
  it("matches the cookie library for every option combination", () => {
    const optionSets = [
      {},
      { domain: "example.com", path: "/app", sameSite: "strict" as const, httpOnly: false },
      { secure: true as const },
      { sameSite: "none" as const, name: "__Host-s" },
    ];
    for (const set of optionSets) {
      const options = resolveCookieOptions(set);
      for (const secureRequest of [false, true]) {
        for (const maxAgeMs of [undefined, 0, 999, 86_400_000.5]) {
          for (const value of ["abc.DEF-_9", "needs encoding;=", ""]) {
            const expected = serialize(options.name, value, {
              path: options.path,
              domain: options.domain,
              secure: options.secure === "auto" ? secureRequest : options.secure,
              httpOnly: options.httpOnly,
              sameSite: options.sameSite,
              maxAge: maxAgeMs === undefined ? undefined : Math.max(0, Math.floor(maxAgeMs / 1000)),
            });
            expect(serializeSessionCookie(options, value, maxAgeMs, secureRequest)).toBe(expected);
          }
        }
      }
    }
  });

  it("makes a SameSite=None cookie Secure even over http, and refuses secure: false with it", () => {
    // Browsers drop SameSite=None without Secure: every session would be lost.
    const none = resolveCookieOptions({ sameSite: "none" });
    expect(serializeSessionCookie(none, "a.b", undefined, false)).toMatch(/; Secure/);
    expect(() => resolveCookieOptions({ sameSite: "none", secure: false })).toThrow(/SameSite|sameSite/);
  });

  it("refuses invalid options as the library does", () => {
    const options = resolveCookieOptions({ path: "/a;b" });
    expect(() => serializeSessionCookie(options, "abc", undefined, false)).toThrow(TypeError);
    expect(parse(serializeSessionCookie(resolveCookieOptions(), "a.b", 1000, false)).sid).toBe("a.b");
  });
});
