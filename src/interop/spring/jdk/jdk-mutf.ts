/**
 * Java's modified UTF-8 (DataOutput.writeUTF, and the strings of a serialization stream): UTF-8 of the
 * UTF-16 code units, with NUL as C0 80 and each surrogate as its own 3-byte sequence. Any JavaScript
 * string (lone surrogates included) is a Java string and back, without loss.
 */

const latin1 = new TextDecoder("latin1");

/** The code units these bytes encode, or undefined where Java's reader would refuse them. */
export function decodeModifiedUtf8(bytes: Uint8Array): string | undefined {
  let plain = true;
  for (const byte of bytes) {
    if (byte >= 0x80) {
      plain = false;
      break;
    }
  }
  if (plain) return latin1.decode(bytes);
  const units: number[] = [];
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const a = bytes[i] as number;
    if (a < 0x80) {
      units.push(a);
      i++;
    } else if (a >> 5 === 0b110) {
      const b = bytes[i + 1];
      if (b === undefined || b >> 6 !== 0b10) return undefined;
      units.push(((a & 0x1f) << 6) | (b & 0x3f));
      i += 2;
    } else if (a >> 4 === 0b1110) {
      const b = bytes[i + 1];
      const c = bytes[i + 2];
      if (b === undefined || c === undefined || b >> 6 !== 0b10 || c >> 6 !== 0b10) return undefined;
      units.push(((a & 0x0f) << 12) | ((b & 0x3f) << 6) | (c & 0x3f));
      i += 3;
    } else return undefined;
    // In slices: String.fromCharCode takes its arguments on the stack.
    if (units.length >= 8192) out += String.fromCharCode(...units.splice(0));
  }
  return out + String.fromCharCode(...units);
}

/** The modified UTF-8 of a string, as Java writes it. */
export function encodeModifiedUtf8(text: string): Uint8Array {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    length += unit >= 0x01 && unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x01 && unit < 0x80) out[at++] = unit;
    else if (unit < 0x800) {
      out[at++] = 0xc0 | (unit >> 6);
      out[at++] = 0x80 | (unit & 0x3f);
    } else {
      out[at++] = 0xe0 | (unit >> 12);
      out[at++] = 0x80 | ((unit >> 6) & 0x3f);
      out[at++] = 0x80 | (unit & 0x3f);
    }
  }
  return out;
}
