/**
 * What the manager tells an event log, and what an event log offers apps. The Redis implementation is
 * events/event-log.ts; the composition root (create-session-manager.ts) connects the two, so the manager
 * knows only these types.
 */

/** What happened to a session. */
export type SessionEventType = "created" | "regenerated" | "destroyed" | "expired";

export interface SessionEvent {
  /** The stream entry ID ("<ms>-<seq>"): unique, increasing, and what a consumer acknowledges. */
  id: string;
  type: SessionEventType;
  /** The session's keyId (a hash of its ID, behind its slot tag): never the session ID. */
  keyId: string;
  /** @deprecated The same value as keyId (its name before 0.2). */
  keyHash: string;
  principal?: string;
  /** Epoch ms when the event was recorded. */
  at: number;
  /**
   * destroyed: "logout" (destroy()), "revoked" (revoke one or all); expired: "idle" or "absolute"
   * (deadline passed, record read), "ttl" (the record was already gone when the sweeper came: it expired
   * while no app instance ran).
   */
  reason?: string;
  /** regenerated: the keyId the session had before. */
  previousKeyId?: string;
  /** @deprecated The same value as previousKeyId. */
  previousKeyHash?: string;
  /** The session's last attributes, encoded, when the app opted in (`events.includeData`). */
  data?: Record<string, string>;
}

/** An event as the manager publishes it (the log adds id and time, and the deprecated aliases). */
export type NewSessionEvent = Omit<SessionEvent, "id" | "at" | "keyHash" | "previousKeyHash">;

export interface ConsumeOptions {
  /** Consumer group: each event is handled by one consumer of the group. */
  group: string;
  /** This instance's name within the group (e.g. hostname + pid). */
  consumer: string;
  handler: (event: SessionEvent) => void | Promise<void>;
  /** Where a new group starts: "$" only new events (default), "0" everything still in the stream. */
  startFrom?: "$" | "0";
  /** Events a dead consumer left unacknowledged this long are taken over. Default 30 000 ms. */
  reclaimAfterMs?: number;
  /** How often the stream is polled. Default 100 ms. */
  pollIntervalMs?: number;
  onError?: (error: unknown) => void;
}

export interface SubscribeOptions {
  /** How often the stream is polled. Default 100 ms. */
  pollIntervalMs?: number;
  onError?: (error: unknown) => void;
}

export interface Subscription {
  /**
   * Resolves once the subscription listens: every event published after it is delivered (the consumer
   * group exists, or the subscriber knows where the stream ends). Rejects when that setup fails.
   */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** The session event stream and expiry schedule, as the manager and apps use them. */
export interface SessionEventLog {
  /** Put the session's last attributes into destroyed and expired events. */
  readonly includeData: boolean;
  /** How long a record is kept past its deadline, so the sweeper can still read it for its event. */
  readonly retainExpiredMs: number;
  publish(event: NewSessionEvent, now: number): Promise<void>;
  /** Records when a session will end, so the sweeper finds it. */
  schedule(keyId: string, deadline: number, now: number): Promise<void>;
  unschedule(keyId: string): Promise<void>;
  /** Ends every session whose deadline has passed and publishes its "expired" event. */
  sweep(now?: number): Promise<number>;
  /** Each event to one consumer of a group (at least once). */
  consume(options: ConsumeOptions): Subscription;
  /** Every event from now on, to this process. */
  subscribe(handler: (event: SessionEvent) => void, options?: SubscribeOptions): Subscription;
  /** Resolves once Redis runs every command publishing and the expiry schedule need (ACL included). */
  ready(): Promise<void>;
  /** Stops this instance's sweeper. */
  close(): void;
}
