import { SessionCodecError, sessionTooLarge } from "../../../common/errors.js";
import type { SpringLimits } from "../spring-codec.js";
import { decodeModifiedUtf8 } from "./jdk-mutf.js";
import {
  BASE_HANDLE,
  hierarchy,
  type JavaText,
  type JdkAnnotation,
  type JdkClassData,
  type JdkClassDesc,
  type JdkField,
  type JdkNode,
  type JdkObject,
  type JdkPlainDesc,
  type JdkProxyDesc,
  type JdkString,
  NULL_NODE,
  PRIM_SIZE,
  SC,
  SLOTS_PER_NODE,
  STREAM_MAGIC,
  STREAM_VERSION,
  TC,
} from "./jdk-node.js";

const KNOWN_FLAGS = SC.WRITE_METHOD | SC.SERIALIZABLE | SC.EXTERNALIZABLE | SC.BLOCK_DATA | SC.ENUM;
const FIELD_CODES = new Set(["B", "C", "D", "F", "I", "J", "S", "Z", "L", "["]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Handle {
  readonly node: JdkNode;
  /** A class descriptor is complete once its superclass is read; objects may be named while read (cycles). */
  complete: boolean;
}

/**
 * Reads one stream strictly, creating nothing but nodes: every length is checked against the bytes left
 * before anything is allocated, nesting is bounded by maxDepth (the only recursion) and the element count
 * by maxNodes. Refused: TC_EXCEPTION, TC_RESET, protocol-1 externalizable data, unknown tags and flags,
 * references to a handle that does not exist, is of the wrong kind or is a class descriptor still being
 * read, and anything after the one element.
 */
export class JdkReader {
  private pos = 0;
  private readonly view: DataView;
  private readonly handles: Handle[] = [];
  private nodes = 0;
  private slots = 0;
  /** How many classes each descriptor's hierarchy has (itself and its superclasses). */
  private readonly chainLengths = new Map<JdkClassDesc, number>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: SpringLimits,
  ) {
    if (bytes.length > limits.maxBytes)
      throw sessionTooLarge(`a Java serialized value of ${bytes.length} bytes (limit ${limits.maxBytes})`);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The whole stream: the header and exactly one element. */
  stream(): JdkNode {
    if (this.u16() !== STREAM_MAGIC) this.fail("not a Java serialization stream (no AC ED magic)", 0);
    if (this.u16() !== STREAM_VERSION) this.fail("a stream version other than 5", 2);
    const node = this.content(0);
    if (this.pos !== this.bytes.length) this.fail("data after the value");
    return node;
  }

  private fail(what: string, at = this.pos): never {
    throw new SessionCodecError(`a Java serialized value that is corrupt: ${what} at byte ${at}`);
  }

  private need(count: number): void {
    if (count > this.bytes.length - this.pos) this.fail("the end of the data");
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++] as number;
  }

  private u16(): number {
    this.need(2);
    const value = this.view.getUint16(this.pos);
    this.pos += 2;
    return value;
  }

  private i32(): number {
    this.need(4);
    const value = this.view.getInt32(this.pos);
    this.pos += 4;
    return value;
  }

  private take(count: number): Uint8Array {
    this.need(count);
    // A copy: a view would keep the whole record alive.
    const bytes = this.bytes.slice(this.pos, this.pos + count);
    this.pos += count;
    return bytes;
  }

  private peek(): number | undefined {
    return this.bytes[this.pos];
  }

  private assign(node: JdkNode, complete: boolean): Handle {
    const handle = { node, complete };
    this.handles.push(handle);
    return handle;
  }

  private count(depth: number): void {
    if (++this.nodes > this.limits.maxNodes)
      throw sessionTooLarge(`a Java serialized value of more than ${this.limits.maxNodes} values`);
    if (depth > this.limits.maxDepth)
      throw sessionTooLarge(`a Java serialized value nested deeper than ${this.limits.maxDepth}`);
  }

  /** One content element where an object is expected (a value, an array item, a field, an annotation). */
  content(depth: number): JdkNode {
    this.count(depth);
    const at = this.pos;
    const tag = this.u8();
    switch (tag) {
      case TC.NULL:
        return NULL_NODE;
      case TC.REFERENCE:
        return this.reference(at, "any");
      case TC.STRING:
      case TC.LONGSTRING:
        return this.string(tag === TC.LONGSTRING);
      case TC.OBJECT:
        return this.object(depth);
      case TC.ARRAY:
        return this.array(depth);
      case TC.ENUM:
        return this.enumConstant(at, depth);
      case TC.CLASS: {
        const desc = this.classDesc(depth + 1, false);
        if (desc === null) this.fail("TC_CLASS without a class descriptor", at);
        const node: JdkNode = { k: "class", desc };
        this.assign(node, true);
        return node;
      }
      case TC.CLASSDESC:
      case TC.PROXYCLASSDESC:
        this.pos = at;
        return this.classDesc(depth + 1, false) as JdkClassDesc;
      case TC.EXCEPTION:
        return this.fail("TC_EXCEPTION (the writer failed mid-stream)", at);
      case TC.RESET:
        return this.fail("TC_RESET", at);
      case TC.BLOCKDATA:
      case TC.BLOCKDATALONG:
        return this.fail("block data where an object is expected", at);
      case TC.ENDBLOCKDATA:
        return this.fail("TC_ENDBLOCKDATA where an object is expected", at);
      default:
        return this.fail(`an unknown tag 0x${tag.toString(16)}`, at);
    }
  }

  private reference(at: number, kind: "any" | "desc" | "string"): JdkNode {
    const handle = this.handles[this.i32() - BASE_HANDLE];
    if (handle === undefined) this.fail("a reference to a handle that does not exist", at);
    if (!handle.complete) this.fail("a reference to a class descriptor still being read", at);
    const node = handle.node;
    const isDesc = node.k === "desc" || node.k === "proxy";
    if ((kind === "desc" && !isDesc) || (kind === "string" && node.k !== "string"))
      this.fail(
        `a reference to a ${node.k} where a ${kind === "desc" ? "class descriptor" : "string"} is expected`,
        at,
      );
    return node;
  }

  private string(long: boolean): JdkString {
    const length = long ? this.i64Length() : this.u16();
    const at = this.pos;
    const utf = this.take(length);
    const text = decodeModifiedUtf8(utf);
    if (text === undefined) this.fail("a string that is not modified UTF-8", at);
    const node: JdkString = { k: "string", text, utf, long };
    this.assign(node, true);
    return node;
  }

  /** A TC_LONGSTRING's 8-byte length, bounded by the bytes left. */
  private i64Length(): number {
    this.need(8);
    const length = this.view.getBigInt64(this.pos);
    if (length < 0n || length > BigInt(this.bytes.length - this.pos - 8))
      this.fail("a string length past the end of the data");
    this.pos += 8;
    return Number(length);
  }

  /** A string in a string-only position: a field's type, an enum constant's name. */
  private stringElement(): JdkString {
    const at = this.pos;
    const tag = this.u8();
    if (tag === TC.STRING || tag === TC.LONGSTRING) return this.string(tag === TC.LONGSTRING);
    if (tag === TC.REFERENCE) return this.reference(at, "string") as JdkString;
    return this.fail("a string expected", at);
  }

  private utf(): JavaText {
    const length = this.u16();
    const at = this.pos;
    const utf = this.take(length);
    const text = decodeModifiedUtf8(utf);
    if (text === undefined) this.fail("a name that is not modified UTF-8", at);
    return { text, utf };
  }

  /**
   * A class descriptor, TC_NULL, or a reference to one. The superclass chain is read in a loop (not
   * recursion), at most maxDepth classes long, and its handles are complete only once it all is read.
   */
  private classDesc(depth: number, nullable: boolean): JdkClassDesc | null {
    const chain: { desc: Mutable<JdkClassDesc>; handle: Handle }[] = [];
    let first: JdkClassDesc | null = null;
    const tooDeep = () => sessionTooLarge(`a Java class hierarchy deeper than ${this.limits.maxDepth}`);
    for (;;) {
      const at = this.pos;
      const tag = this.u8();
      let next: JdkClassDesc | null;
      if (tag === TC.NULL) {
        if (chain.length === 0 && !nullable) this.fail("a null class descriptor", at);
        next = null;
      } else if (tag === TC.REFERENCE) next = this.reference(at, "desc") as JdkClassDesc;
      else if (tag === TC.PROXYCLASSDESC || tag === TC.CLASSDESC) {
        if (chain.length >= this.limits.maxDepth) throw tooDeep();
        const desc = tag === TC.PROXYCLASSDESC ? this.proxyDesc() : this.plainDesc();
        // Its handle is taken before its fields and annotation are read (they may take handles too).
        this.annotation(desc.node.annotation, depth);
        const link = chain.at(-1);
        if (link === undefined) first = desc.node;
        else link.desc.superDesc = desc.node;
        chain.push({ desc: desc.node, handle: desc.handle });
        continue;
      } else return this.fail("a class descriptor expected", at);
      const link = chain.at(-1);
      if (link === undefined) return next;
      link.desc.superDesc = next;
      // A chain ending in a reference to another chain: the whole hierarchy counts.
      const below = next === null ? 0 : (this.chainLengths.get(next) ?? 0);
      if (chain.length + below > this.limits.maxDepth) throw tooDeep();
      chain.forEach(({ desc, handle }, i) => {
        this.chainLengths.set(desc, chain.length - i + below);
        handle.complete = true;
      });
      return first;
    }
  }

  private proxyDesc(): { node: Mutable<JdkProxyDesc>; handle: Handle } {
    const interfaces: JavaText[] = [];
    const node: Mutable<JdkProxyDesc> = { k: "proxy", interfaces, annotation: [], superDesc: null };
    const handle = this.assign(node, false);
    const count = this.i32();
    // Each name takes at least its 2-byte length.
    if (count < 0 || count > (this.bytes.length - this.pos) / 2)
      this.fail("an interface count past the end of the data");
    for (let i = 0; i < count; i++) interfaces.push(this.utf());
    return { node, handle };
  }

  private plainDesc(): { node: Mutable<JdkPlainDesc>; handle: Handle } {
    const name = this.utf();
    const suid = this.take(8);
    const fields: JdkField[] = [];
    const node: Mutable<JdkPlainDesc> = {
      k: "desc",
      name,
      suid,
      flags: 0,
      fields,
      annotation: [],
      superDesc: null,
    };
    const handle = this.assign(node, false);
    const flagsAt = this.pos;
    const flags = this.u8();
    node.flags = flags;
    if ((flags & ~KNOWN_FLAGS) !== 0) this.fail("unknown class descriptor flags", flagsAt);
    const externalizable = (flags & SC.EXTERNALIZABLE) !== 0;
    if (externalizable && (flags & (SC.SERIALIZABLE | SC.WRITE_METHOD)) !== 0)
      this.fail("a class both Serializable and Externalizable", flagsAt);
    if (externalizable && (flags & SC.BLOCK_DATA) === 0)
      this.fail("externalizable data in protocol 1 (no SC_BLOCK_DATA)", flagsAt);
    if (!externalizable && (flags & SC.BLOCK_DATA) !== 0)
      this.fail("SC_BLOCK_DATA on a Serializable class", flagsAt);
    const count = this.u16();
    // Each field takes at least a type code and a 2-byte name length.
    if (count * 3 > this.bytes.length - this.pos) this.fail("a field count past the end of the data");
    let objectSeen = false;
    for (let i = 0; i < count; i++) {
      const codeAt = this.pos;
      const code = String.fromCharCode(this.u8());
      if (!FIELD_CODES.has(code)) this.fail("an unknown field type code", codeAt);
      const isObject = code === "L" || code === "[";
      // Java lays out primitive fields first (ObjectStreamClass refuses any other order).
      if (!isObject && objectSeen) this.fail("a primitive field after an object field", codeAt);
      objectSeen ||= isObject;
      const fieldName = this.utf();
      let type: JdkString | null = null;
      if (isObject) {
        const typeAt = this.pos;
        type = this.stringElement();
        if (type.text[0] !== code || (code === "L" && !type.text.endsWith(";")))
          this.fail("a field type signature that does not match its type code", typeAt);
      }
      fields.push({ code, name: fieldName, type });
    }
    if ((flags & SC.ENUM) !== 0 && (count !== 0 || suid.some((byte) => byte !== 0)))
      this.fail("an enum class descriptor with fields or a serialVersionUID", flagsAt);
    return { node, handle };
  }

  /** Block data and objects up to TC_ENDBLOCKDATA. */
  private annotation(into: JdkAnnotation, depth: number): void {
    for (;;) {
      const tag = this.peek();
      if (tag === TC.ENDBLOCKDATA) {
        this.pos++;
        return;
      }
      if (tag === TC.BLOCKDATA) {
        this.pos++;
        into.push({ k: "block", bytes: this.take(this.u8()), long: false });
      } else if (tag === TC.BLOCKDATALONG) {
        this.pos++;
        const length = this.i32();
        if (length < 0) this.fail("a negative block data length");
        into.push({ k: "block", bytes: this.take(length), long: true });
      } else into.push(this.content(depth + 1));
    }
  }

  private object(depth: number): JdkObject {
    const at = this.pos - 1;
    const desc = this.classDesc(depth + 1, false) as JdkClassDesc;
    if (desc.k === "desc" && (desc.name.text.startsWith("[") || (desc.flags & SC.ENUM) !== 0))
      this.fail("TC_OBJECT of an array or enum class", at);
    const classData: JdkClassData[] = [];
    const node: JdkObject = { k: "object", desc, classData };
    this.assign(node, true);
    if (desc.k === "desc" && (desc.flags & SC.EXTERNALIZABLE) !== 0) {
      const annotation: JdkAnnotation = [];
      this.annotation(annotation, depth);
      classData.push({ prim: new Uint8Array(0), objects: [], annotation });
      return node;
    }
    const chain = hierarchy(desc);
    // Classes without fields share no bytes: count their slots, or a few bytes could make millions.
    this.slots += chain.length;
    if (this.slots > this.limits.maxNodes * SLOTS_PER_NODE)
      throw sessionTooLarge(
        `a Java serialized value of more than ${this.limits.maxNodes * SLOTS_PER_NODE} class data`,
      );
    for (const link of chain) classData.push(this.classDataOf(link, depth, at));
    return node;
  }

  private classDataOf(desc: JdkClassDesc, depth: number, at: number): JdkClassData {
    if (desc.k === "proxy") return { prim: new Uint8Array(0), objects: [], annotation: null };
    if ((desc.flags & SC.SERIALIZABLE) === 0)
      this.fail(`an object whose class chain holds a class that is not Serializable`, at);
    let primBytes = 0;
    for (const field of desc.fields) primBytes += PRIM_SIZE[field.code] ?? 0;
    const prim = this.take(primBytes);
    const objects: JdkNode[] = [];
    for (const field of desc.fields) if (field.type !== null) objects.push(this.content(depth + 1));
    let annotation: JdkAnnotation | null = null;
    if ((desc.flags & SC.WRITE_METHOD) !== 0) {
      annotation = [];
      this.annotation(annotation, depth);
    }
    return { prim, objects, annotation };
  }

  private array(depth: number): JdkNode {
    const at = this.pos - 1;
    const desc = this.classDesc(depth + 1, false) as JdkClassDesc;
    const name = desc.k === "desc" ? desc.name.text : "";
    if (!name.startsWith("[") || name.length < 2) this.fail("TC_ARRAY of a class that is not an array", at);
    const code = name[1] as string;
    const size = PRIM_SIZE[code];
    const node = { k: "array" as const, desc, elements: [] as Uint8Array | JdkNode[] };
    this.assign(node, true);
    const length = this.i32();
    if (size !== undefined) {
      if (length < 0 || length > (this.bytes.length - this.pos) / size)
        this.fail("an array length past the end of the data");
      node.elements = this.take(length * size);
      return node;
    }
    if (code !== "L" && code !== "[") this.fail("an array of an unknown element type", at);
    // Every element takes at least one byte (TC_NULL).
    if (length < 0 || length > this.bytes.length - this.pos)
      this.fail("an array length past the end of the data");
    const items: JdkNode[] = [];
    node.elements = items;
    for (let i = 0; i < length; i++) items.push(this.content(depth + 1));
    return node;
  }

  private enumConstant(at: number, depth: number): JdkNode {
    const desc = this.classDesc(depth + 1, false) as JdkClassDesc;
    if (desc.k !== "desc" || (desc.flags & SC.ENUM) === 0)
      this.fail("TC_ENUM of a class that is not an enum", at);
    const node = { k: "enum" as const, desc, constant: null as unknown as JdkString };
    this.assign(node, true);
    node.constant = this.stringElement();
    return node;
  }
}

/** One whole hash value. */
export function readJdk(bytes: Uint8Array, limits: SpringLimits): JdkNode {
  return new JdkReader(bytes, limits).stream();
}
