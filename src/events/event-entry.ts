import type { NewSessionEvent, SessionEvent, SessionEventType } from "../session/session-events.js";

/** Flat field/value list for XADD (the stream's field names are unchanged since 0.1). */
export function eventToFields(event: NewSessionEvent, at: number): string[] {
  const fields = ["type", event.type, "key", event.keyId, "at", String(at)];
  if (event.principal !== undefined) fields.push("principal", event.principal);
  if (event.reason !== undefined) fields.push("reason", event.reason);
  if (event.previousKeyId !== undefined) fields.push("previous", event.previousKeyId);
  if (event.data !== undefined) fields.push("data", JSON.stringify(event.data));
  return fields;
}

const TYPES = new Set<string>(["created", "regenerated", "destroyed", "expired"]);

/** Reads one stream entry back; null for an entry that is not a session event (never thrown). */
export function eventFromEntry(id: string, flat: readonly string[]): SessionEvent | null {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  const type = fields.get("type");
  const keyId = fields.get("key");
  if (type === undefined || !TYPES.has(type) || keyId === undefined) return null;
  const event: SessionEvent = {
    id,
    type: type as SessionEventType,
    keyId,
    keyHash: keyId,
    at: Number(fields.get("at") ?? 0),
  };
  const principal = fields.get("principal");
  if (principal !== undefined) event.principal = principal;
  const reason = fields.get("reason");
  if (reason !== undefined) event.reason = reason;
  const previous = fields.get("previous");
  if (previous !== undefined) {
    event.previousKeyId = previous;
    event.previousKeyHash = previous;
  }
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
