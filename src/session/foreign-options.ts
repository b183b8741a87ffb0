import type { DiagnosticSink } from "../common/diagnostics.js";

/**
 * Options of express-session (and cookie-session / koa-session) that sessionkit does not take, with what
 * to use instead. In JavaScript they were ignored without a word, so `name: "app.sid"` silently kept
 * the cookie "sid" and `cookie.maxAge` silently kept the default lifetime.
 */
const FOREIGN_OPTIONS: Readonly<Record<string, string>> = {
  name: 'the cookie name is cookie: { name: "..." }',
  resave: "not needed: only changed attributes are written, and activity is recorded once per touchAfter",
  genid: "IDs are 256 random bits, made by sessionkit (not configurable)",
  proxy: 'Express decides what is TLS: app.set("trust proxy", ...); or set cookie.secure',
  unset: "not needed: delete req.session.x removes an attribute, req.session = null ends the session",
  keys: "signing keys are secret: [newest, ...older] (cookie-session's and koa-session's \"keys\")",
  maxAge: "the lifetime is idleTimeout (and absoluteTimeout); per session: req.session.cookie.maxAge",
  key: 'the cookie name is cookie: { name: "..." } (koa-session\'s "key")',
};

const FOREIGN_COOKIE_OPTIONS: Readonly<Record<string, string>> = {
  maxAge: "the lifetime is idleTimeout (and absoluteTimeout); per session: req.session.cookie.maxAge",
  expires: "the lifetime is idleTimeout (and absoluteTimeout); per session: req.session.cookie.maxAge",
  priority: "not supported",
  partitioned: "not supported",
  encode: "not supported: the cookie value is signed base64url, safe as it is",
  signed: "cookies are always signed",
  overwrite: "not needed: sessionkit sends one Set-Cookie per response",
};

/**
 * One warning (through the diagnostics: logged, onDiagnostic, channel) naming every option sessionkit
 * does not know and, for express-session's, what to use instead. `known`: the option names this
 * manager takes.
 */
export function warnAboutForeignOptions(
  options: object,
  known: ReadonlySet<string>,
  knownCookie: ReadonlySet<string>,
  report: DiagnosticSink,
): void {
  const problems: string[] = [];
  for (const name of Object.keys(options)) {
    if (known.has(name)) continue;
    problems.push(`${name}: ${FOREIGN_OPTIONS[name] ?? "not a sessionkit option (a typo?)"}`);
  }
  const cookie = (options as { cookie?: unknown }).cookie;
  if (cookie !== null && typeof cookie === "object") {
    for (const name of Object.keys(cookie)) {
      if (knownCookie.has(name)) continue;
      problems.push(
        `cookie.${name}: ${FOREIGN_COOKIE_OPTIONS[name] ?? "not a sessionkit cookie option (a typo?)"}`,
      );
    }
  }
  if (problems.length === 0) return;
  report({
    code: "SESSION_CONFIG_WARNING",
    message: `options ignored: ${problems.join("; ")}`,
  });
}
