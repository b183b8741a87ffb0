import { ErrorCodes, SessionStoreError, type StoreErrorCode } from "../common/errors.js";

/**
 * What a Redis or socket error means for an operator, by its stable parts (Redis's error prefixes, Node's
 * error codes), so that a misconfigured app says why it fails instead of "did not answer".
 */
const CAUSES: [RegExp, StoreErrorCode, string][] = [
  [
    /WRONGPASS|invalid username-password|invalid password/i,
    ErrorCodes.STORE_AUTH,
    "Redis refused the credentials: check the user and password",
  ],
  [/NOAUTH|Authentication required/i, ErrorCodes.STORE_AUTH, "Redis needs a password: give it in the URL"],
  [
    /NOPERM/,
    ErrorCodes.STORE_PERMISSION,
    "the Redis user may not run a command sessionkit needs (see the README's ACL)",
  ],
  [
    /can't run this command or subcommand/,
    ErrorCodes.STORE_PERMISSION,
    "the Redis user may not run a command inside sessionkit's scripts (GET SET DEL TYPE PTTL PEXPIRE ZADD ZREM ZRANGE ZSCORE; with events also XADD ZRANGEBYSCORE: see the README's ACL)",
  ],
  [
    /^OOM\b|OOM command not allowed/,
    ErrorCodes.STORE_OUT_OF_MEMORY,
    "Redis is out of memory (maxmemory reached, nothing it may evict)",
  ],
  [
    /^READONLY\b/,
    ErrorCodes.STORE_READ_ONLY,
    "Redis answered as a read-only replica: point the URL at the primary",
  ],
  [/ECONNREFUSED/, ErrorCodes.STORE_UNREACHABLE, "nothing listens at the Redis address"],
  [/ENOTFOUND|EAI_AGAIN/, ErrorCodes.STORE_UNREACHABLE, "the Redis host name does not resolve"],
  [/EHOSTUNREACH|ENETUNREACH/, ErrorCodes.STORE_UNREACHABLE, "no route to the Redis host"],
  [
    /ETIMEDOUT/,
    ErrorCodes.STORE_UNREACHABLE,
    "the connection to Redis did not complete (with rediss://, is that port a TLS port?)",
  ],
  [
    /certificate|self[- ]signed|SSL|TLS|EPROTO|UNABLE_TO_VERIFY|DEPTH_ZERO|CERT_|wrong version number/i,
    ErrorCodes.STORE_TLS,
    "the TLS connection to Redis failed",
  ],
];

/** The code and a sentence for an error, or undefined when it is none of the known causes. */
export function causeOf(error: unknown): { code: StoreErrorCode; summary: string } | undefined {
  const text = describe(error);
  for (const [pattern, code, summary] of CAUSES) if (pattern.test(text)) return { code, summary };
  return undefined;
}

/** A store error that names its cause: `what` failed, because of `error` (the client's own error). */
export function storeErrorOf(what: string, error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const cause = causeOf(error);
  const detail = describe(error);
  return cause === undefined
    ? new SessionStoreError(ErrorCodes.STORE_UNAVAILABLE, `${what} failed: ${detail}`, error)
    : new SessionStoreError(cause.code, `${what} failed: ${cause.summary} (${detail})`, error);
}

/** Errors that only say "not connected": the connection's last error says why. */
export function isNotConnectedError(error: unknown): boolean {
  return /Stream isn't writeable|Connection is closed|The client is closed|ClientClosedError|Socket closed/i.test(
    describe(error),
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code)
      ? `${code} ${error.message}`
      : error.message;
  }
  return String(error);
}
