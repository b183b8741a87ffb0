import { typedJsonCodec } from "../codecs/typed-json-codec.js";
import type { ValueCodec } from "../codecs/value-codec.js";
import {
  createDiagnosticReporter,
  type Diagnostic,
  type DiagnosticSink,
  type Logger,
} from "../common/diagnostics.js";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { SessionConfigError } from "../common/errors.js";
import type { SessionLimits } from "./change-set.js";
import { CookieIssuer } from "./cookies/cookie-issuer.js";
import { resolveCookieOptions } from "./cookies/session-cookie.js";
import type { MigrationOptions } from "./legacy-source.js";
import { ValueSeal } from "./session-record.js";

export interface SessionCookieOptions {
  /** Cookie name. Default "sid" (short, and says nothing about the stack behind it). */
  name?: string;
  /** Default "/". */
  path?: string;
  /** Default none: the cookie goes only to the host that set it. */
  domain?: string;
  /**
   * Default "auto": Secure when the request came over TLS (with Express, `req.secure`, which honours
   * "trust proxy"). Set true in production behind a proxy you do not tell Express about.
   */
  secure?: boolean | "auto";
  /** Default true: page scripts cannot read the session cookie (XSS cannot steal it). */
  httpOnly?: boolean;
  /** Default "lax": the cookie is not sent on cross-site sub-requests and POSTs (CSRF defence in depth). */
  sameSite?: "lax" | "strict" | "none";
  /**
   * Default true: the cookie carries Max-Age = time left until the session's deadline, so a login survives
   * a browser restart. false: a browser-session cookie (no Max-Age); the server record still has a TTL.
   */
  persistent?: boolean;
}

/** The options of the session layer itself; the store, Redis and events are create-session-manager.ts's. */
export interface SessionManagerOptions {
  /**
   * Signs the cookie. A list rotates keys: the first signs, all verify, old-key cookies are re-issued.
   * Entries after the first that are undefined or "" are skipped: `[KEY, process.env.OLD_KEY]` works
   * whether or not OLD_KEY is set.
   */
  secret: string | readonly (string | undefined)[];
  /** A session unused for this long ends. Default "1d". */
  idleTimeout?: Duration;
  /** A session ends this long after it was created (or regenerated), however active. Default "14d". */
  absoluteTimeout?: Duration;
  /**
   * Activity is recorded (and the TTL and cookie slid) at most once per this interval, so a read-only
   * request costs no write. Default: 5 minutes, or a quarter of idleTimeout when that is shorter.
   */
  touchAfter?: Duration;
  /**
   * What a request gets when Redis fails. "closed" (default): the error reaches the framework (503).
   * "open": the request continues with an empty anonymous session and nothing is written.
   */
  failurePolicy?: "closed" | "open";
  /** Store a new session even when nothing was set in it. Default false: no record, no cookie. */
  saveUninitialized?: boolean;
  /** Re-send the cookie on every response that has a session. Default false (only when it changes or slides). */
  rolling?: boolean;
  cookie?: SessionCookieOptions;
  /** How attribute values are encoded. Default: typed JSON (Date, Map, Set, BigInt survive). */
  codec?: ValueCodec;
  /**
   * A change that would make the session's names and encoded values larger than this (UTF-8 bytes) is
   * refused with SESSION_TOO_LARGE (413) and nothing is written. Default 262 144 (256 KiB).
   */
  maxSessionBytes?: number;
  /** A change that would give the session more attributes is refused the same way. Default 1 000. */
  maxAttributes?: number;
  /**
   * Called for every diagnostic of the manager and of the Redis store it builds (connection errors,
   * configuration warnings, failed commits), also published on the `sessionkit:diagnostic` channel.
   */
  onDiagnostic?: (diagnostic: Diagnostic) => void;
  /**
   * Where the diagnostics that say the deployment is wrong (Redis unreachable or refusing, commits
   * failing, a risky maxmemory-policy) are logged, one line per cause per minute. Default console;
   * false: nothing is logged.
   */
  logger?: Logger | false;
  /** Principal index ("your devices"): what to record about each session at its creation. */
  index?: {
    /** Record the User-Agent and IP address of the request that created the session. Default false. */
    recordDevice?: boolean;
  };
  /**
   * A staged move from another session store: `{ from: cookieSession({...}), stage: "legacy-primary" }`
   * (sources in sessionkit/migrate). Off when absent.
   */
  migrate?: MigrationOptions;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

/** The option names, for the warning about options sessionkit does not take (foreign-options.ts). */
export const MANAGER_OPTION_NAMES: Readonly<Record<keyof SessionManagerOptions, true>> = {
  secret: true,
  idleTimeout: true,
  absoluteTimeout: true,
  touchAfter: true,
  failurePolicy: true,
  saveUninitialized: true,
  rolling: true,
  cookie: true,
  codec: true,
  maxSessionBytes: true,
  maxAttributes: true,
  onDiagnostic: true,
  logger: true,
  index: true,
  migrate: true,
  now: true,
};

export const COOKIE_OPTION_NAMES: ReadonlySet<string> = new Set(
  Object.keys({
    name: true,
    path: true,
    domain: true,
    secure: true,
    httpOnly: true,
    sameSite: true,
    persistent: true,
  } satisfies Record<keyof SessionCookieOptions, true>),
);

/** SessionManagerOptions with every default applied and every value checked. */
export interface SessionConfig {
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  touchAfterMs: number;
  failurePolicy: "closed" | "open";
  saveUninitialized: boolean;
  rolling: boolean;
  recordDevice: boolean;
  cookies: CookieIssuer;
  codec: ValueCodec;
  seal: ValueSeal;
  limits: SessionLimits;
  /** Publishes a diagnostic, hands it to onDiagnostic, logs it when it says something is wrong. */
  report: DiagnosticSink;
  migration: MigrationOptions | undefined;
  now: () => number;
}

const DEFAULT_IDLE_MS = 86_400_000;
const DEFAULT_ABSOLUTE_MS = 14 * 86_400_000;
const DEFAULT_TOUCH_AFTER_MS = 300_000;
const DEFAULT_MAX_SESSION_BYTES = 256 * 1024;
const DEFAULT_MAX_ATTRIBUTES = 1000;

/** Applies defaults and refuses what cannot work, at start-up (SessionConfigError), never per request. */
export function resolveSessionConfig(options: SessionManagerOptions): SessionConfig {
  if (options === null || typeof options !== "object") throw new SessionConfigError("options are required");
  const cookies = new CookieIssuer(resolveCookieOptions(options.cookie), options.secret);
  const idleTimeoutMs = toMilliseconds(options.idleTimeout ?? DEFAULT_IDLE_MS, "idleTimeout");
  const absoluteTimeoutMs = toMilliseconds(options.absoluteTimeout ?? DEFAULT_ABSOLUTE_MS, "absoluteTimeout");
  if (idleTimeoutMs <= 0 || absoluteTimeoutMs <= 0) {
    throw new SessionConfigError(
      "idleTimeout and absoluteTimeout must be greater than 0 (every session ends)",
    );
  }
  const touchAfterMs =
    options.touchAfter === undefined
      ? Math.min(DEFAULT_TOUCH_AFTER_MS, Math.floor(idleTimeoutMs / 4))
      : toMilliseconds(options.touchAfter, "touchAfter");
  if (touchAfterMs >= idleTimeoutMs) {
    throw new SessionConfigError(
      "touchAfter must be shorter than idleTimeout, or active users get logged out",
    );
  }
  const failurePolicy = options.failurePolicy ?? "closed";
  if (failurePolicy !== "closed" && failurePolicy !== "open") {
    throw new SessionConfigError(
      `failurePolicy must be "closed" or "open", got ${JSON.stringify(failurePolicy)}`,
    );
  }
  const codec = options.codec ?? typedJsonCodec;
  return {
    idleTimeoutMs,
    absoluteTimeoutMs,
    touchAfterMs,
    failurePolicy,
    saveUninitialized: options.saveUninitialized ?? false,
    rolling: options.rolling ?? false,
    recordDevice: options.index?.recordDevice ?? false,
    cookies,
    codec,
    seal: new ValueSeal(codec.name),
    limits: {
      maxSessionBytes: positiveInteger(options.maxSessionBytes, DEFAULT_MAX_SESSION_BYTES, "maxSessionBytes"),
      maxAttributes: positiveInteger(options.maxAttributes, DEFAULT_MAX_ATTRIBUTES, "maxAttributes"),
    },
    report: createDiagnosticReporter({ onDiagnostic: options.onDiagnostic, logger: options.logger }),
    migration: resolveMigration(options.migrate),
    now: options.now ?? Date.now,
  };
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new SessionConfigError(`${name} must be a whole number > 0`);
  return value;
}

const STAGES = new Set(["legacy-primary", "sessionkit-primary", "sessionkit-only"]);

function resolveMigration(migrate: MigrationOptions | undefined): MigrationOptions | undefined {
  if (migrate === undefined) return undefined;
  const { from, stage } = migrate;
  if (from === null || typeof from !== "object" || typeof from.read !== "function") {
    throw new SessionConfigError(
      "migrate.from must be a legacy source (sessionkit/migrate: cookieSession(...), ...)",
    );
  }
  if (!STAGES.has(stage)) {
    throw new SessionConfigError(
      `migrate.stage must be "legacy-primary", "sessionkit-primary" or "sessionkit-only", got ${JSON.stringify(stage)}`,
    );
  }
  return { from, stage };
}
