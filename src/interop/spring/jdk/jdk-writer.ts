import { SessionCodecError, sessionTooLarge } from "../../../common/errors.js";
import type { SpringLimits } from "../spring-codec.js";
import {
  BASE_HANDLE,
  hierarchy,
  type JavaText,
  type JdkAnnotation,
  type JdkClassDesc,
  type JdkNode,
  type JdkString,
  PRIM_SIZE,
  SLOTS_PER_NODE,
  STREAM_MAGIC,
  STREAM_VERSION,
  TC,
} from "./jdk-node.js";

/**
 * Writes a node tree as one stream, in the very order jdk-reader.ts reads it: each node that takes a
 * handle gets the next one the first time it is written and a TC_REFERENCE after. Handles are numbered
 * for this stream, so nodes read from other streams (an opaque value moved into a new list) can be
 * mixed freely. Depth and element count are counted as the reader counts them, so that nothing is
 * written that the reader (ours, under the same limits) would refuse.
 */
export class JdkWriter {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  private length = 0;
  private readonly handles = new Map<JdkNode, number>();
  private nodes = 0;
  private slots = 0;

  constructor(private readonly limits: SpringLimits) {}

  stream(node: JdkNode): Uint8Array {
    this.u16(STREAM_MAGIC);
    this.u16(STREAM_VERSION);
    this.content(node, 0);
    if (this.length > this.limits.maxBytes)
      throw sessionTooLarge(
        `a Java serialized value of ${this.length} bytes (limit ${this.limits.maxBytes})`,
      );
    return this.buffer.slice(0, this.length);
  }

  private room(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    // Past the limit by more than one value's worth: stop before growing without bound.
    if (this.length > this.limits.maxBytes)
      throw sessionTooLarge(`a Java serialized value over ${this.limits.maxBytes} bytes`);
    let size = this.buffer.length * 2;
    while (size < this.length + count) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  private u8(value: number): void {
    this.room(1);
    this.buffer[this.length++] = value;
  }

  private u16(value: number): void {
    this.room(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
  }

  private i32(value: number): void {
    this.room(4);
    this.view.setInt32(this.length, value);
    this.length += 4;
  }

  private raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  private assign(node: JdkNode): void {
    this.handles.set(node, this.handles.size);
  }

  /** TC_REFERENCE when the node was written before in this stream. */
  private reference(node: JdkNode): boolean {
    const handle = this.handles.get(node);
    if (handle === undefined) return false;
    this.u8(TC.REFERENCE);
    this.i32(BASE_HANDLE + handle);
    return true;
  }

  private count(depth: number): void {
    if (++this.nodes > this.limits.maxNodes)
      throw sessionTooLarge(`a Java serialized value of more than ${this.limits.maxNodes} values`);
    if (depth > this.limits.maxDepth)
      throw sessionTooLarge(`a Java serialized value nested deeper than ${this.limits.maxDepth}`);
  }

  content(node: JdkNode, depth: number): void {
    this.count(depth);
    if (node.k === "null") {
      this.u8(TC.NULL);
      return;
    }
    if (this.reference(node)) return;
    switch (node.k) {
      case "string":
        this.string(node);
        return;
      case "desc":
      case "proxy":
        this.classDesc(node, depth + 1);
        return;
      case "class":
        this.u8(TC.CLASS);
        this.classDesc(node.desc, depth + 1);
        this.assign(node);
        return;
      case "enum":
        this.u8(TC.ENUM);
        this.classDesc(node.desc, depth + 1);
        this.assign(node);
        this.stringElement(node.constant);
        return;
      case "array": {
        this.u8(TC.ARRAY);
        this.classDesc(node.desc, depth + 1);
        this.assign(node);
        const elements = node.elements;
        if (elements instanceof Uint8Array) {
          const name = node.desc.k === "desc" ? node.desc.name.text : "";
          const size = PRIM_SIZE[name[1] ?? ""];
          if (size === undefined || elements.length % size !== 0)
            throw new SessionCodecError(`a Java array of ${name} with ${elements.length} bytes of elements`);
          this.i32(elements.length / size);
          this.raw(elements);
        } else {
          this.i32(elements.length);
          for (const item of elements) this.content(item, depth + 1);
        }
        return;
      }
      case "object": {
        this.u8(TC.OBJECT);
        this.classDesc(node.desc, depth + 1);
        this.assign(node);
        this.slots += node.classData.length;
        if (this.slots > this.limits.maxNodes * SLOTS_PER_NODE)
          throw sessionTooLarge(
            `a Java serialized value of more than ${this.limits.maxNodes * SLOTS_PER_NODE} class data`,
          );
        for (const data of node.classData) {
          this.raw(data.prim);
          for (const item of data.objects) this.content(item, depth + 1);
          if (data.annotation !== null) this.annotation(data.annotation, depth);
        }
        return;
      }
    }
  }

  private string(node: JdkString): void {
    const long = node.long || node.utf.length > 0xffff;
    this.u8(long ? TC.LONGSTRING : TC.STRING);
    if (long) {
      this.i32(0);
      this.i32(node.utf.length);
    } else this.u16(node.utf.length);
    this.raw(node.utf);
    this.assign(node);
  }

  private stringElement(node: JdkString): void {
    if (!this.reference(node)) this.string(node);
  }

  private utf(text: JavaText): void {
    if (text.utf.length > 0xffff) throw new SessionCodecError("a Java class or field name over 65,535 bytes");
    this.u16(text.utf.length);
    this.raw(text.utf);
  }

  /** A descriptor and its superclasses, in a loop as the reader reads them, until TC_NULL or a reference. */
  private classDesc(first: JdkClassDesc | null, depth: number): void {
    // The whole hierarchy counts, as the reader counts it (a chain may end in a reference to another).
    if (first !== null && hierarchy(first).length > this.limits.maxDepth)
      throw sessionTooLarge(`a Java class hierarchy deeper than ${this.limits.maxDepth}`);
    for (let desc = first; ; desc = desc.superDesc) {
      if (desc === null) {
        this.u8(TC.NULL);
        return;
      }
      if (this.reference(desc)) return;
      if (desc.k === "proxy") {
        this.u8(TC.PROXYCLASSDESC);
        this.assign(desc);
        this.i32(desc.interfaces.length);
        for (const name of desc.interfaces) this.utf(name);
      } else {
        this.u8(TC.CLASSDESC);
        this.utf(desc.name);
        this.raw(desc.suid);
        this.assign(desc);
        this.u8(desc.flags);
        this.u16(desc.fields.length);
        for (const field of desc.fields) {
          this.u8(field.code.charCodeAt(0));
          this.utf(field.name);
          if (field.type !== null) this.stringElement(field.type);
        }
      }
      this.annotation(desc.annotation, depth);
    }
  }

  private annotation(items: JdkAnnotation, depth: number): void {
    for (const item of items) {
      if (item.k !== "block") {
        this.content(item, depth + 1);
        continue;
      }
      if (item.long || item.bytes.length > 0xff) {
        this.u8(TC.BLOCKDATALONG);
        this.i32(item.bytes.length);
      } else {
        this.u8(TC.BLOCKDATA);
        this.u8(item.bytes.length);
      }
      this.raw(item.bytes);
    }
    this.u8(TC.ENDBLOCKDATA);
  }
}

/** The stream of one node. */
export function writeJdk(node: JdkNode, limits: SpringLimits): Uint8Array {
  return new JdkWriter(limits).stream(node);
}
