import type { StoredFields } from "../store/session-store.js";

/**
 * How a session is laid out in its record (a Redis hash): one field per top-level attribute, holding
 * that attribute's encoded value, beside a few metadata fields. Metadata fields start with "$"; an
 * attribute whose name starts with "$" is stored with one more "$", so the two can never collide.
 */
export const MetaField = {
  createdAt: "$c",
  lastAccessAt: "$a",
  absoluteDeadline: "$x",
  principal: "$p",
  userAgent: "$ua",
  ip: "$ip",
} as const;

export interface SessionTimes {
  /** Epoch ms when the session was created (regenerate keeps it: the absolute deadline does not move). */
  createdAt: number;
  /** Epoch ms of the last recorded activity; only moves once per `touchAfter`. */
  lastAccessAt: number;
  /** Epoch ms after which the session is over, however active it is. */
  absoluteDeadline: number;
}

export function fieldForAttribute(attribute: string): string {
  return attribute.startsWith("$") ? `$${attribute}` : attribute;
}

function attributeForField(field: string): string | null {
  if (!field.startsWith("$")) return field;
  return field.startsWith("$$") ? field.slice(1) : null;
}

export function timesToFields(times: SessionTimes): [string, string][] {
  return [
    [MetaField.createdAt, String(times.createdAt)],
    [MetaField.lastAccessAt, String(times.lastAccessAt)],
    [MetaField.absoluteDeadline, String(times.absoluteDeadline)],
  ];
}

export interface ParsedRecord {
  times: SessionTimes;
  principal: string | undefined;
  /** Attribute name -> encoded value, exactly as stored. */
  encodedAttributes: Map<string, string>;
}

/** Returns null when the metadata is missing or malformed: such a record is corrupt (rule 8). */
export function parseRecord(fields: StoredFields): ParsedRecord | null {
  const createdAt = parseTime(fields[MetaField.createdAt]);
  const lastAccessAt = parseTime(fields[MetaField.lastAccessAt]);
  const absoluteDeadline = parseTime(fields[MetaField.absoluteDeadline]);
  if (createdAt === null || lastAccessAt === null || absoluteDeadline === null) return null;
  const encodedAttributes = new Map<string, string>();
  for (const [field, value] of Object.entries(fields)) {
    const attribute = attributeForField(field);
    if (attribute !== null) encodedAttributes.set(attribute, value);
  }
  return {
    times: { createdAt, lastAccessAt, absoluteDeadline },
    principal: fields[MetaField.principal],
    encodedAttributes,
  };
}

function parseTime(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return null;
  return Number(value);
}

/** The attribute fields of a stored record, with their stored (encoded) values: metadata left out. */
export function encodedAttributesOf(fields: StoredFields): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [field, value] of Object.entries(fields)) {
    const attribute = attributeForField(field);
    if (attribute !== null) attributes[attribute] = value;
  }
  return attributes;
}
