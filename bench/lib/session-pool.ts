/** Logs in a pool of sessions on one app and keeps their cookies (name=value, as a browser sends them). */
import { randomBytes } from "node:crypto";
import { VARIANT_INFO, type Variant } from "../apps/variants.js";

const LOGIN_CONCURRENCY = 32;

export async function loginPool(port: number, size: number): Promise<string[]> {
  const cookies: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < size) {
      next++;
      const response = await fetch(`http://127.0.0.1:${port}/login`, { method: "POST" });
      await response.arrayBuffer();
      if (response.status >= 300) throw new Error(`login answered ${response.status}`);
      const setCookie = response.headers.getSetCookie()[0];
      if (setCookie === undefined) throw new Error("login set no cookie");
      cookies.push(setCookie.slice(0, setCookie.indexOf(";")));
    }
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
  return cookies;
}

/**
 * Cookies for an app without sessions (the ceiling): as long as a sessionkit cookie, so every variant
 * parses requests of the same size.
 */
export function dummyCookies(size: number): string[] {
  return Array.from({ length: size }, () => `sid=${randomBytes(65).toString("base64url")}`);
}

/** The cookies a variant's load cycles through: logged-in sessions, or dummies for an app without them. */
export function cookiePool(variant: Variant, port: number, size: number): Promise<string[]> {
  return VARIANT_INFO[variant].sessionCookies ? loginPool(port, size) : Promise.resolve(dummyCookies(size));
}
