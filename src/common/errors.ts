/**
 * Every error sessionkit throws is a SessionError with a stable `code`: callers branch on the code, never on
 * the message. Subclasses exist only where callers branch by kind (configuration, store, codec).
 * Messages never contain a session ID (DESIGN rule 6): at most its keyId.
 */
export const ErrorCodes = {
  /** An option is missing or out of range; thrown at start-up, never per request. */
  CONFIG_INVALID: "SESSION_CONFIG_INVALID",
  /** Redis did not answer within `commandTimeoutMs`. */
  STORE_TIMEOUT: "SESSION_STORE_TIMEOUT",
  /** Redis refused or dropped the command for a reason none of the codes below names. */
  STORE_UNAVAILABLE: "SESSION_STORE_UNAVAILABLE",
  /** Nothing answers at the address: connection refused, a host name that does not resolve, no route. */
  STORE_UNREACHABLE: "SESSION_STORE_UNREACHABLE",
  /** Redis refused the credentials (WRONGPASS), or needs some (NOAUTH). */
  STORE_AUTH: "SESSION_STORE_AUTH",
  /** The Redis user may not run a command sessionkit needs (NOPERM: the message names it). */
  STORE_PERMISSION: "SESSION_STORE_PERMISSION",
  /** The TLS handshake failed: a certificate that does not verify, TLS to a plain port, or the reverse. */
  STORE_TLS: "SESSION_STORE_TLS",
  /** Redis is at its maxmemory and evicts nothing it may (OOM). */
  STORE_OUT_OF_MEMORY: "SESSION_STORE_OUT_OF_MEMORY",
  /** The node is a replica (READONLY): the URL points at one, or a failover is under way. */
  STORE_READ_ONLY: "SESSION_STORE_READ_ONLY",
  /** The write reached the primary but not the number of replicas the `durability` option asks for. */
  STORE_NOT_DURABLE: "SESSION_STORE_NOT_DURABLE",
  /**
   * A change would make the session larger than `maxSessionBytes` or give it more than `maxAttributes`
   * attributes, or a value nests deeper than the codec allows: refused whole (status 413), nothing written.
   */
  TOO_LARGE: "SESSION_TOO_LARGE",
  /** A value could not be encoded (function, symbol, cycle) or a record could not be decoded. */
  CODEC_FAILED: "SESSION_CODEC_FAILED",
  /**
   * A session method was used after the session was destroyed, a principal is out of range, or an
   * attribute is named after a session method (`save`, `setPrincipal`, ...: status 400).
   */
  SESSION_STATE: "SESSION_INVALID_STATE",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class SessionError extends Error {
  readonly code: ErrorCode;
  /** HTTP status an adapter should answer with when this error reaches the framework. */
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SessionError";
    this.code = code;
    this.status = options?.status ?? 500;
  }
}

export class SessionConfigError extends SessionError {
  constructor(message: string) {
    super(ErrorCodes.CONFIG_INVALID, message);
    this.name = "SessionConfigError";
  }
}

/** Redis is down, slow or refusing: answered as 503 by the adapters under the fail-closed policy. */
/** The codes of SessionStoreError: Redis could not serve the call (status 503). */
export type StoreErrorCode =
  | typeof ErrorCodes.STORE_TIMEOUT
  | typeof ErrorCodes.STORE_UNAVAILABLE
  | typeof ErrorCodes.STORE_UNREACHABLE
  | typeof ErrorCodes.STORE_AUTH
  | typeof ErrorCodes.STORE_PERMISSION
  | typeof ErrorCodes.STORE_TLS
  | typeof ErrorCodes.STORE_OUT_OF_MEMORY
  | typeof ErrorCodes.STORE_READ_ONLY
  | typeof ErrorCodes.STORE_NOT_DURABLE;

export class SessionStoreError extends SessionError {
  constructor(code: StoreErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause, status: 503 });
    this.name = "SessionStoreError";
  }
}

/** A session change over the limits (rule 17): answered 413 by the adapters. */
export function sessionTooLarge(message: string): SessionError {
  return new SessionError(ErrorCodes.TOO_LARGE, message, { status: 413 });
}

export class SessionCodecError extends SessionError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.CODEC_FAILED, message, { cause });
    this.name = "SessionCodecError";
  }
}
