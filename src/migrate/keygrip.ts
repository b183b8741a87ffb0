import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The signatures of the `cookies` / `keygrip` packages, which cookie-session and koa-session sign with:
 * HMAC-SHA1 of `<name>=<value>` under the newest key, base64 with "/" "+" "=" made URL-safe
 * ("_", "-", dropped). Any key verifies (keygrip's rotation).
 */
export function keygripSign(data: string, key: string): string {
  return createHmac("sha1", key)
    .update(data)
    .digest("base64")
    .replace(/[/+=]/g, (c) => (c === "/" ? "_" : c === "+" ? "-" : ""));
}

export function keygripVerify(data: string, signature: string, keys: readonly string[]): boolean {
  const given = Buffer.from(signature);
  return keys.some((key) => {
    const expected = Buffer.from(keygripSign(data, key));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}
