import type { ForeignValue } from "./foreign-value.js";

/**
 * One framework's session record in Redis: its key layout, its cookie, its codec and its TTL rules.
 * Every format has the same shape so that the operations (foreign-sessions.ts) and the Express
 * mounting are written once: rails(), django() and php(). Spring keeps a hash per session and writes
 * field by field, so it has a layout of its own (spring/spring-format.ts) behind the same operations.
 *
 * Attributes are kept in the format's own node type `N` (a Marshal or pickle node) between a read and a
 * write, so an attribute Node did not change is written back exactly as it was read.
 */
export interface ForeignFormat<N = unknown> {
  /** "rails-cache", "rails-redis-store", "django-cache"... for messages. */
  readonly name: string;
  /** The name of the framework's session cookie. */
  readonly cookieName: string;
  /**
   * The Redis key of the session whose cookie holds `publicId`, or undefined when the value cannot be
   * one of this framework's IDs (such a cookie is treated as no session, and never looked up).
   */
  keyFor(publicId: string): string | undefined;
  /** A new ID the way the framework makes them (for a session Node creates). */
  newId(): string;
  /** Reads a stored record. Throws a SessionError when it is corrupt or over the limits. */
  decode(bytes: Uint8Array, nowMs: number): ForeignRecord<N>;
  /** The bytes of a record with these attributes, written now with this TTL. */
  encode(record: ForeignRecord<N>, ttlMs: number, nowMs: number): Uint8Array;
  /** Node's view of an attribute (see foreign-value.ts). */
  toValue(node: N): ForeignValue;
  /** The node for a value Node wrote; refuses what the framework could not load safely. */
  fromValue(value: unknown): N;
  /**
   * The TTL of a write that names none: from the record itself when the framework keeps one there
   * (Django's `_session_expiry`), else the format's default (never "none": DESIGN rule 1).
   */
  ttlMsFor(record: ForeignRecord<N>, nowMs: number): number;
  /** Adjusts the record after Node chose a TTL, so the framework's own bookkeeping agrees with it. */
  withTtl?(record: ForeignRecord<N>, ttlMs: number, nowMs: number): void;
}

/** A decoded record: its attributes in stored order, and what the envelope said (for messages). */
export interface ForeignRecord<N = unknown> {
  readonly attributes: Map<string, N>;
  /** The envelope's own expiry (Rails cache entry), epoch ms, when it has one. */
  expiresAtMs?: number | undefined;
}
