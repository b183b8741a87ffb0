import type { ValueCodec } from "../codecs/value-codec.js";
import type { Diagnostic } from "../common/diagnostics.js";
import type { Duration } from "../common/duration.js";
import type { RedisOption } from "../redis/connection/connect.js";
import type { SessionStore } from "../store/session-store.js";

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

export interface SessionOptions {
  /** A redis:// or rediss:// URL, or an ioredis / node-redis client. One of `redis` or `store` is required. */
  redis?: RedisOption;
  /** A store instance instead of `redis` (e.g. `createMemoryStore()` in unit tests). */
  store?: SessionStore;
  /** Signs the cookie. A list rotates keys: the first signs, all verify, old-key cookies are re-issued. */
  secret: string | readonly string[];
  /** Separates apps sharing one Redis. Default "default". */
  namespace?: string;
  /** First segment of every Redis key. Default "sk". */
  keyPrefix?: string;
  /** A session unused for this long ends. Default "1d". */
  idleTimeout?: Duration;
  /** A session ends this long after it was created (or regenerated), however active. Default "14d". */
  absoluteTimeout?: Duration;
  /**
   * Activity is recorded (and the TTL and cookie slid) at most once per this interval, so a read-only
   * request costs no write. Default: 5 minutes, or a quarter of idleTimeout when that is shorter.
   */
  touchAfter?: Duration;
  /** Every Redis call fails after this long. Default 1000 ms. */
  commandTimeout?: Duration;
  /** Serve session reads from replicas; writes then WAIT for a replica (read-your-writes). Default false. */
  replicaReads?: boolean;
  /** Count a write only once this many replicas have it (WAIT); else 503 SESSION_STORE_NOT_DURABLE. */
  durability?: { replicas: number; timeout?: Duration };
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
  /** Called for every diagnostic (also published on the `sessionkit:diagnostic` channel). */
  onDiagnostic?: (diagnostic: Diagnostic) => void;
  /** Principal index ("your devices"): what to record about each session at its creation. */
  index?: {
    /** Record the User-Agent and IP address of the request that created the session. Default false. */
    recordDevice?: boolean;
  };
  /**
   * Session events (created, regenerated, destroyed, expired) in a Redis stream, with an expiry schedule
   * swept by every app instance (no keyspace notifications needed). Needs a Redis store. Off when absent.
   */
  events?: {
    /** Put the session's last attributes into destroyed and expired events. Default false. */
    includeData?: boolean;
    /** How often this instance looks for expired sessions. Default "1s". false: never (another instance does). */
    sweepInterval?: Duration | false;
    /** How long an expired record is kept past its deadline so its event can carry the data. Default "5m". */
    retainExpired?: Duration;
    /** Stream entries kept (approximately). Default 100 000. */
    maxLength?: number;
  };
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}
