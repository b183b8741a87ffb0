import { tracingChannel } from "node:diagnostics_channel";

/**
 * What a request's session load found. "gone": the cookie verified but its session is not stored (ended,
 * revoked, rotated by another request); "failed_open": Redis failed and the failure policy served an
 * anonymous session.
 */
export type LoadOutcome =
  | "found"
  | "none"
  | "invalid_cookie"
  | "gone"
  | "expired"
  | "corrupt"
  | "failed_open";

/** What a commit wrote: "none" when it only sent a cookie or found nothing to keep. */
export type CommitKind = "create" | "rotate" | "update" | "touch" | "destroy" | "none";

/**
 * The context object of a `sessionkit:load` trace (start, end, asyncStart, asyncEnd, error events of a
 * node:diagnostics_channel TracingChannel). Never the session ID: the handle is a hash, useless as a
 * cookie.
 */
export interface LoadTrace {
  /** The SessionManager doing the work: compare by identity to tell the managers of one process apart. */
  manager: object;
  /** The session's handle (store/key-id.ts), when the cookie named one. */
  handle: string | undefined;
  outcome: LoadOutcome | undefined;
  /** The store operations sent, in order ("session read", "session delete"). */
  commands: string[];
  /** Set by the channel on the error event. */
  error?: unknown;
  /** With outcome "failed_open": the store's failure that the fail-open policy answered anonymously. */
  storeError?: unknown;
}

/** The context object of a `sessionkit:commit` trace. */
export interface CommitTrace {
  /** The SessionManager doing the work (see LoadTrace.manager). */
  manager: object;
  handle: string;
  kind: CommitKind;
  /** The store operations sent, in order ("session write", "event publish", ...). */
  commands: string[];
  error?: unknown;
}

/**
 * TracingChannels, so OpenTelemetry and APM agents can time a request's session work without a
 * dependency. Nothing is built unless a subscriber listens (hasSubscribers is checked per call).
 */
export const loadChannel = tracingChannel<unknown, LoadTrace>("sessionkit:load");
export const commitChannel = tracingChannel<unknown, CommitTrace>("sessionkit:commit");

/** Notes a store operation on the trace, when one is being recorded. */
export function noteCommand(trace: { commands: string[] } | undefined, command: string): void {
  trace?.commands.push(command);
}
