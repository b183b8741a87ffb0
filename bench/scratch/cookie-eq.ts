import { serialize } from "cookie";
import { resolveCookieOptions, serializeSessionCookie } from "/work/main/src/core/session-cookie.ts";

const cases = [
  {},
  { domain: "example.com", path: "/app", sameSite: "strict" as const, httpOnly: false },
  { secure: true },
  { secure: false, sameSite: "none" as const },
];
for (const c of cases) {
  const o = resolveCookieOptions(c);
  for (const secureReq of [false, true])
    for (const maxAgeMs of [undefined, 0, 123456, 86_400_000.7]) {
      const v = "abcDEF-_012.xyz";
      const fast = serializeSessionCookie(o, v, maxAgeMs, secureReq);
      const slow = serialize(o.name, v, {
        path: o.path,
        domain: o.domain,
        secure: o.secure === "auto" ? secureReq : o.secure,
        httpOnly: o.httpOnly,
        sameSite: o.sameSite,
        maxAge: maxAgeMs === undefined ? undefined : Math.max(0, Math.floor(maxAgeMs / 1000)),
      });
      if (fast !== slow) console.log("DIFF", fast, slow);
    }
}
console.log("done", serializeSessionCookie(resolveCookieOptions({}), "a.b", 1000, false));
