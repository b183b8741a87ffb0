import { SessionCodecError } from "../../../common/errors.js";

/**
 * The bytes of one Java serialization stream and the read position: big-endian reads that fail with a
 * SessionCodecError naming the byte offset, and lengths checked against the bytes left before anything is
 * allocated. The grammar is jdk-reader.ts's.
 */
export class JdkBytes {
  #pos = 0;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get pos(): number {
    return this.#pos;
  }

  /** Goes back to an earlier position (a tag read ahead is read again by the rule that owns it). */
  rewind(to: number): void {
    this.#pos = Math.min(to, this.#pos);
  }

  /** How many bytes are left to read. */
  get left(): number {
    return this.#bytes.length - this.#pos;
  }

  fail(what: string, at = this.#pos): never {
    throw new SessionCodecError(`a Java serialized value that is corrupt: ${what} at byte ${at}`);
  }

  need(count: number): void {
    if (count > this.left) this.fail("the end of the data");
  }

  u8(): number {
    this.need(1);
    return this.#bytes[this.#pos++] as number;
  }

  u16(): number {
    this.need(2);
    const value = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return value;
  }

  i32(): number {
    this.need(4);
    const value = this.#view.getInt32(this.#pos);
    this.#pos += 4;
    return value;
  }

  /** A TC_LONGSTRING's 8-byte length, bounded by the bytes left. */
  longLength(): number {
    this.need(8);
    const length = this.#view.getBigInt64(this.#pos);
    if (length < 0n || length > BigInt(this.left - 8)) this.fail("a string length past the end of the data");
    this.#pos += 8;
    return Number(length);
  }

  take(count: number): Uint8Array {
    this.need(count);
    // A copy: a view would keep the whole record alive.
    const bytes = this.#bytes.slice(this.#pos, this.#pos + count);
    this.#pos += count;
    return bytes;
  }

  peek(): number | undefined {
    return this.#bytes[this.#pos];
  }
}
