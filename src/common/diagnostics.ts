import { channel } from "node:diagnostics_channel";

/**
 * Things worth knowing that are not errors for the request: a tampered cookie, a corrupt record that was
 * removed, an expired session, a Redis reconnect. Published on the `sessionkit:diagnostic` channel
 * (node:diagnostics_channel, no dependency) and passed to the `onDiagnostic` option. Never carries a
 * session ID: at most its keyId.
 */
export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  /** The session's keyId (what its Redis key holds: a hash of the ID), when one is involved. */
  keyId?: string;
  /** @deprecated The same value as keyId (its name before 0.2). */
  keyHash?: string;
}

export type DiagnosticCode =
  | "SESSION_COOKIE_INVALID"
  | "SESSION_NOT_FOUND"
  | "SESSION_RECORD_CORRUPT"
  | "SESSION_EXPIRED_IDLE"
  | "SESSION_EXPIRED_ABSOLUTE"
  | "SESSION_GONE_BEFORE_COMMIT"
  | "SESSION_COOKIE_RENEWED"
  | "SESSION_STORE_FAILED_OPEN"
  | "SESSION_COMMIT_FAILED"
  | "SESSION_ROTATION_INCOMPLETE"
  | "SESSION_TOUCH_FAILED"
  | "SESSION_REPLICA_LAG"
  | "SESSION_REDIS_CONFIG_WARNING"
  | "SESSION_REDIS_CONNECTION_ERROR";

export const diagnosticChannel = channel("sessionkit:diagnostic");

export function publishDiagnostic(diagnostic: Diagnostic): void {
  if (diagnosticChannel.hasSubscribers) diagnosticChannel.publish(diagnostic);
}
