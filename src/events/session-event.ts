/** What happened to a session. */
export type SessionEventType = "created" | "regenerated" | "destroyed" | "expired";

export interface SessionEvent {
  /** The stream entry ID ("<ms>-<seq>"): unique, increasing, and what a consumer acknowledges. */
  id: string;
  type: SessionEventType;
  /** The session's key id (SHA-256 of its ID, behind its slot tag): never the session ID. */
  keyHash: string;
  principal?: string;
  /** Epoch ms when the event was recorded. */
  at: number;
  /**
   * destroyed: "logout" (destroy()), "revoked" (revoke one or all), "regenerated" (the old ID of a
   * regenerate); expired: "idle" or "absolute" (deadline passed, record read), "ttl" (the record was
   * already gone when the sweeper came: it expired while no app instance ran).
   */
  reason?: string;
  /** regenerated: the key id the session had before. */
  previousKeyHash?: string;
  /** The session's last attributes, encoded, when the app opted in (`events.includeData`). */
  data?: Record<string, string>;
}

export type NewSessionEvent = Omit<SessionEvent, "id" | "at">;

/** Flat field/value list for XADD. */
export function eventToFields(event: NewSessionEvent, at: number): string[] {
  const fields = ["type", event.type, "key", event.keyHash, "at", String(at)];
  if (event.principal !== undefined) fields.push("principal", event.principal);
  if (event.reason !== undefined) fields.push("reason", event.reason);
  if (event.previousKeyHash !== undefined) fields.push("previous", event.previousKeyHash);
  if (event.data !== undefined) fields.push("data", JSON.stringify(event.data));
  return fields;
}

const TYPES = new Set<string>(["created", "regenerated", "destroyed", "expired"]);

/** Reads one stream entry back; null for an entry that is not a session event (never thrown). */
export function eventFromEntry(id: string, flat: readonly string[]): SessionEvent | null {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  const type = fields.get("type");
  const keyHash = fields.get("key");
  if (type === undefined || !TYPES.has(type) || keyHash === undefined) return null;
  const event: SessionEvent = {
    id,
    type: type as SessionEventType,
    keyHash,
    at: Number(fields.get("at") ?? 0),
  };
  const principal = fields.get("principal");
  if (principal !== undefined) event.principal = principal;
  const reason = fields.get("reason");
  if (reason !== undefined) event.reason = reason;
  const previous = fields.get("previous");
  if (previous !== undefined) event.previousKeyHash = previous;
  const data = fields.get("data");
  if (data !== undefined) {
    try {
      event.data = JSON.parse(data) as Record<string, string>;
    } catch {
      // An entry written by something else: deliver the event without data.
    }
  }
  return event;
}
