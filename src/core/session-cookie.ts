import { parse, serialize } from "cookie";
import type { SessionCookieOptions } from "./session-options.js";

export interface ResolvedCookieOptions {
  name: string;
  path: string;
  domain: string | undefined;
  secure: boolean | "auto";
  httpOnly: boolean;
  sameSite: "lax" | "strict" | "none";
  persistent: boolean;
}

export function resolveCookieOptions(options: SessionCookieOptions = {}): ResolvedCookieOptions {
  return {
    name: options.name ?? "sid",
    path: options.path ?? "/",
    domain: options.domain,
    secure: options.secure ?? "auto",
    httpOnly: options.httpOnly ?? true,
    sameSite: options.sameSite ?? "lax",
    persistent: options.persistent ?? true,
  };
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || !header.includes(name)) return undefined;
  return parse(header)[name];
}

/** Set-Cookie value for a signed session ID; maxAgeMs only for persistent cookies. */
export function serializeSessionCookie(
  options: ResolvedCookieOptions,
  signedValue: string,
  maxAgeMs: number | undefined,
  secureRequest: boolean,
): string {
  return serialize(options.name, signedValue, {
    path: options.path,
    domain: options.domain,
    secure: options.secure === "auto" ? secureRequest : options.secure,
    httpOnly: options.httpOnly,
    sameSite: options.sameSite,
    maxAge: maxAgeMs === undefined ? undefined : Math.max(0, Math.floor(maxAgeMs / 1000)),
  });
}

export function serializeClearingCookie(options: ResolvedCookieOptions, secureRequest: boolean): string {
  return serialize(options.name, "", {
    path: options.path,
    domain: options.domain,
    secure: options.secure === "auto" ? secureRequest : options.secure,
    httpOnly: options.httpOnly,
    sameSite: options.sameSite,
    maxAge: 0,
    expires: new Date(0),
  });
}
