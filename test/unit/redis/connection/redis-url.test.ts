import { describe, expect, it } from "vitest";
import { parseRedisUrl, redact } from "../../../../src/redis/connection/redis-url.js";

describe("redact", () => {
  it("hides the whole password whatever characters it has, as parseRedisUrl reads it", () => {
    const passwords = ["simple", "with/slash", "a@b", "c:d", "e/f@g:h", "%2F%40encoded%3F"];
    for (const password of passwords) {
      for (const url of [
        `redis://user:${password}@127.0.0.1:6379/0`,
        `rediss://:${password}@cache.example.com:6380`,
        `redis+sentinel://user:${password}@s1:26379,s2:26379/mymaster?db=1`,
        `redis+cluster://:${password}@n1:7000,n2:7001`,
      ]) {
        const parsed = parseRedisUrl(url);
        expect(parsed.password, url).toBe(decodeURIComponent(password));
        const shown = redact(url);
        expect(shown, url).not.toContain(password);
        expect(shown).toContain(":***@");
      }
    }
  });

  it("does not show a password in the error for a URL that does not parse", () => {
    for (const url of ["redis://user:se?cret@host:6379", "redis+cluster://:pa?ss-cret@n1:7000,n2:7001"]) {
      let message = "";
      try {
        parseRedisUrl(url);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/percent-encode/);
      expect(message).not.toContain("cret");
    }
  });

  it("leaves URLs without a password as they are", () => {
    for (const url of ["redis://127.0.0.1:6379", "redis://user@host:1/2", "redis://host:1?replica=a@b:2"]) {
      expect(redact(url)).toBe(url);
    }
  });
});
