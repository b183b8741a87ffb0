/** Turns one session attribute value into the string stored in its record field, and back. */
export interface ValueCodec {
  /** Stable name, written nowhere yet; kept for the day records carry their codec. */
  readonly name: string;
  encode(value: unknown): string;
  decode(encoded: string): unknown;
}
