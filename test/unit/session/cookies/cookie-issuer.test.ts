import { describe, expect, it } from "vitest";
import { CookieIssuer, INVALID_COOKIE, NO_COOKIE } from "../../../../src/session/cookies/cookie-issuer.js";
import { CookieSigner } from "../../../../src/session/cookies/cookie-signer.js";
import { resolveCookieOptions } from "../../../../src/session/cookies/session-cookie.js";
import { generateSessionId, principalTag, sessionKeyId } from "../../../../src/session/session-id.js";
import { OLD_TEST_SECRET, TEST_SECRET } from "../../../support/browser.js";
import { cookieOf } from "../../../support/memory-manager.js";

const options = resolveCookieOptions();
const issuerOf = (secret: string | string[]) => new CookieIssuer(options, secret);

/** A new session's ID and keyId, and the Cookie header a browser sends back for its issued cookie. */
function issued(issuer: CookieIssuer, tag?: string) {
  const id = generateSessionId(tag);
  const keyId = sessionKeyId(id);
  return { id, keyId, cookieHeader: cookieOf(issuer.issue(id, keyId, undefined, false)) };
}

describe("cookie issuer", () => {
  it('verify() answers "none" without a session cookie', () => {
    const issuer = issuerOf(TEST_SECRET);
    expect(NO_COOKIE).toBe("none");
    expect(issuer.verify(undefined)).toBe(NO_COOKIE);
    expect(issuer.verify("")).toBe(NO_COOKIE);
    expect(issuer.verify("other=1; theme=dark")).toBe(NO_COOKIE);
  });

  it('verify() answers "invalid" for a tampered, unsigned, foreign or malformed cookie', () => {
    const issuer = issuerOf(TEST_SECRET);
    const { id, cookieHeader } = issued(issuer);
    const value = cookieHeader.slice("sid=".length);
    const mac = value.slice(value.lastIndexOf(".") + 1);
    const flipped = `${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`;
    const otherId = generateSessionId();
    expect(INVALID_COOKIE).toBe("invalid");
    // Verified (and so cached) first: the cache must not accept a variant either.
    expect(issuer.verify(cookieHeader)).not.toBe(INVALID_COOKIE);
    for (const bad of [
      `${id}.${flipped}`,
      `${otherId}.${mac}`,
      id,
      `${id}.`,
      new CookieSigner(OLD_TEST_SECRET).sign(id),
      "not-an-id.abc",
      `${id.slice(1)}.${mac}`,
      "",
      ".",
    ]) {
      expect(issuer.verify(`sid=${bad}`)).toBe(INVALID_COOKIE);
      expect(issuerOf(TEST_SECRET).verify(`sid=${bad}`)).toBe(INVALID_COOKIE);
    }
  });

  it("verify() answers the ID and keyId of a cookie it issued, tagged or not, cached or not", () => {
    const issuer = issuerOf(TEST_SECRET);
    for (const tag of [undefined, principalTag("u1")]) {
      const { id, keyId, cookieHeader } = issued(issuer, tag);
      const expected = { id, keyId, signedWithOldSecret: false };
      expect(issuer.verify(cookieHeader)).toEqual(expected);
      expect(issuer.verify(`theme=dark; ${cookieHeader}`)).toEqual(expected);
      // Another process with the same secrets has no cache: it checks the HMAC.
      expect(issuerOf(TEST_SECRET).verify(cookieHeader)).toEqual(expected);
      expect(issuerOf("another-secret-of-at-least-32-characters").verify(cookieHeader)).toBe(INVALID_COOKIE);
    }
  });

  it("verify() flags a cookie signed by the second secret, cached or not", () => {
    const before = issuerOf(OLD_TEST_SECRET);
    const { id, keyId, cookieHeader } = issued(before);
    const rotated = issuerOf([TEST_SECRET, OLD_TEST_SECRET]);
    for (let i = 0; i < 2; i++) {
      expect(rotated.verify(cookieHeader)).toEqual({ id, keyId, signedWithOldSecret: true });
    }
    // Re-issued under the first secret: no longer flagged, and the old secret alone refuses it.
    const renewed = cookieOf(rotated.issue(id, keyId, undefined, false));
    expect(renewed).not.toBe(cookieHeader);
    expect(rotated.verify(renewed)).toEqual({ id, keyId, signedWithOldSecret: false });
    expect(issuerOf(TEST_SECRET).verify(renewed)).toEqual({ id, keyId, signedWithOldSecret: false });
    expect(issuerOf(OLD_TEST_SECRET).verify(renewed)).toBe(INVALID_COOKIE);
  });

  it("issue() writes the options' cookie, with Max-Age only when given and Secure as the request asks", () => {
    const issuer = issuerOf(TEST_SECRET);
    const id = generateSessionId();
    const keyId = sessionKeyId(id);
    const session = issuer.issue(id, keyId, undefined, false);
    expect(session).toMatch(new RegExp(`^sid=${id}\\.[A-Za-z0-9_-]+; Path=/; HttpOnly; SameSite=Lax$`));
    expect(issuer.issue(id, keyId, 90_500, true)).toBe(
      `${cookieOf(session)}; Max-Age=90; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
    expect(issuer.verify(cookieOf(issuer.issue(id, keyId, 90_500, true)))).toEqual({
      id,
      keyId,
      signedWithOldSecret: false,
    });
  });

  it("clear() deletes the cookie: empty value, Max-Age=0 and an Expires in the past", () => {
    const issuer = new CookieIssuer(resolveCookieOptions({ name: "s", path: "/app" }), TEST_SECRET);
    const cleared = issuer.clear(true);
    expect(cleared.startsWith("s=;")).toBe(true);
    expect(cleared).toMatch(/; Max-Age=0(;|$)/);
    const expires = /; Expires=([^;]+)/.exec(cleared)?.[1];
    expect(expires).toBeDefined();
    expect(Date.parse(expires as string)).toBeLessThanOrEqual(Date.now());
    expect(cleared).toContain("; Path=/app");
    expect(cleared).toContain("; Secure");
    expect(issuer.clear(false)).not.toContain("Secure");
  });
});
