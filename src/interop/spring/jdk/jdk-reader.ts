import { sessionTooLarge } from "../../../common/errors.js";
import type { SpringLimits } from "../spring-codec.js";
import { JdkBytes } from "./jdk-bytes.js";
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
  private readonly input: JdkBytes;
  private readonly handles: Handle[] = [];
  private nodes = 0;
  private slots = 0;
  /** How many classes each descriptor's hierarchy has (itself and its superclasses). */
  private readonly chainLengths = new Map<JdkClassDesc, number>();

  constructor(
    readonly bytes: Uint8Array,
    private readonly limits: SpringLimits,
  ) {
    if (bytes.length > limits.maxBytes)
      throw sessionTooLarge(`a Java serialized value of ${bytes.length} bytes (limit ${limits.maxBytes})`);
    this.input = new JdkBytes(bytes);
  }

  /** The whole stream: the header and exactly one element. */
  stream(): JdkNode {
    if (this.input.u16() !== STREAM_MAGIC)
      this.input.fail("not a Java serialization stream (no AC ED magic)", 0);
    if (this.input.u16() !== STREAM_VERSION) this.input.fail("a stream version other than 5", 2);
    const node = this.content(0);
    if (this.input.left !== 0) this.input.fail("data after the value");
    return node;
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
    const at = this.input.pos;
    const tag = this.input.u8();
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
        if (desc === null) this.input.fail("TC_CLASS without a class descriptor", at);
        const node: JdkNode = { k: "class", desc };
        this.assign(node, true);
        return node;
      }
      case TC.CLASSDESC:
      case TC.PROXYCLASSDESC:
        this.input.rewind(at);
        return this.classDesc(depth + 1, false) as JdkClassDesc;
      case TC.EXCEPTION:
        return this.input.fail("TC_EXCEPTION (the writer failed mid-stream)", at);
      case TC.RESET:
        return this.input.fail("TC_RESET", at);
      case TC.BLOCKDATA:
      case TC.BLOCKDATALONG:
        return this.input.fail("block data where an object is expected", at);
      case TC.ENDBLOCKDATA:
        return this.input.fail("TC_ENDBLOCKDATA where an object is expected", at);
      default:
        return this.input.fail(`an unknown tag 0x${tag.toString(16)}`, at);
    }
  }

  private reference(at: number, kind: "any" | "desc" | "string"): JdkNode {
    const handle = this.handles[this.input.i32() - BASE_HANDLE];
    if (handle === undefined) this.input.fail("a reference to a handle that does not exist", at);
    if (!handle.complete) this.input.fail("a reference to a class descriptor still being read", at);
    const node = handle.node;
    const isDesc = node.k === "desc" || node.k === "proxy";
    if ((kind === "desc" && !isDesc) || (kind === "string" && node.k !== "string"))
      this.input.fail(
        `a reference to a ${node.k} where a ${kind === "desc" ? "class descriptor" : "string"} is expected`,
        at,
      );
    return node;
  }

  private string(long: boolean): JdkString {
    const length = long ? this.input.longLength() : this.input.u16();
    const at = this.input.pos;
    const utf = this.input.take(length);
    const text = decodeModifiedUtf8(utf);
    if (text === undefined) this.input.fail("a string that is not modified UTF-8", at);
    const node: JdkString = { k: "string", text, utf, long };
    this.assign(node, true);
    return node;
  }

  /** A string in a string-only position: a field's type, an enum constant's name. */
  private stringElement(): JdkString {
    const at = this.input.pos;
    const tag = this.input.u8();
    if (tag === TC.STRING || tag === TC.LONGSTRING) return this.string(tag === TC.LONGSTRING);
    if (tag === TC.REFERENCE) return this.reference(at, "string") as JdkString;
    return this.input.fail("a string expected", at);
  }

  private utf(): JavaText {
    const length = this.input.u16();
    const at = this.input.pos;
    const utf = this.input.take(length);
    const text = decodeModifiedUtf8(utf);
    if (text === undefined) this.input.fail("a name that is not modified UTF-8", at);
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
      const at = this.input.pos;
      const tag = this.input.u8();
      let next: JdkClassDesc | null;
      if (tag === TC.NULL) {
        if (chain.length === 0 && !nullable) this.input.fail("a null class descriptor", at);
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
      } else return this.input.fail("a class descriptor expected", at);
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
    const count = this.input.i32();
    // Each name takes at least its 2-byte length.
    if (count < 0 || count > this.input.left / 2)
      this.input.fail("an interface count past the end of the data");
    for (let i = 0; i < count; i++) interfaces.push(this.utf());
    return { node, handle };
  }

  private plainDesc(): { node: Mutable<JdkPlainDesc>; handle: Handle } {
    const name = this.utf();
    const suid = this.input.take(8);
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
    const flagsAt = this.input.pos;
    const flags = this.input.u8();
    node.flags = flags;
    if ((flags & ~KNOWN_FLAGS) !== 0) this.input.fail("unknown class descriptor flags", flagsAt);
    const externalizable = (flags & SC.EXTERNALIZABLE) !== 0;
    if (externalizable && (flags & (SC.SERIALIZABLE | SC.WRITE_METHOD)) !== 0)
      this.input.fail("a class both Serializable and Externalizable", flagsAt);
    if (externalizable && (flags & SC.BLOCK_DATA) === 0)
      this.input.fail("externalizable data in protocol 1 (no SC_BLOCK_DATA)", flagsAt);
    if (!externalizable && (flags & SC.BLOCK_DATA) !== 0)
      this.input.fail("SC_BLOCK_DATA on a Serializable class", flagsAt);
    const count = this.input.u16();
    // Each field takes at least a type code and a 2-byte name length.
    if (count * 3 > this.input.left) this.input.fail("a field count past the end of the data");
    let objectSeen = false;
    for (let i = 0; i < count; i++) {
      const codeAt = this.input.pos;
      const code = String.fromCharCode(this.input.u8());
      if (!FIELD_CODES.has(code)) this.input.fail("an unknown field type code", codeAt);
      const isObject = code === "L" || code === "[";
      // Java lays out primitive fields first (ObjectStreamClass refuses any other order).
      if (!isObject && objectSeen) this.input.fail("a primitive field after an object field", codeAt);
      objectSeen ||= isObject;
      const fieldName = this.utf();
      let type: JdkString | null = null;
      if (isObject) {
        const typeAt = this.input.pos;
        type = this.stringElement();
        if (type.text[0] !== code || (code === "L" && !type.text.endsWith(";")))
          this.input.fail("a field type signature that does not match its type code", typeAt);
      }
      fields.push({ code, name: fieldName, type });
    }
    if ((flags & SC.ENUM) !== 0 && (count !== 0 || suid.some((byte) => byte !== 0)))
      this.input.fail("an enum class descriptor with fields or a serialVersionUID", flagsAt);
    return { node, handle };
  }

  /** Block data and objects up to TC_ENDBLOCKDATA. */
  private annotation(into: JdkAnnotation, depth: number): void {
    for (;;) {
      const tag = this.input.peek();
      if (tag === TC.ENDBLOCKDATA) {
        this.input.u8();
        return;
      }
      if (tag === TC.BLOCKDATA) {
        this.input.u8();
        into.push({ k: "block", bytes: this.input.take(this.input.u8()), long: false });
      } else if (tag === TC.BLOCKDATALONG) {
        this.input.u8();
        const length = this.input.i32();
        if (length < 0) this.input.fail("a negative block data length");
        into.push({ k: "block", bytes: this.input.take(length), long: true });
      } else into.push(this.content(depth + 1));
    }
  }

  private object(depth: number): JdkObject {
    const at = this.input.pos - 1;
    const desc = this.classDesc(depth + 1, false) as JdkClassDesc;
    if (desc.k === "desc" && (desc.name.text.startsWith("[") || (desc.flags & SC.ENUM) !== 0))
      this.input.fail("TC_OBJECT of an array or enum class", at);
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
      this.input.fail(`an object whose class chain holds a class that is not Serializable`, at);
    let primBytes = 0;
    for (const field of desc.fields) primBytes += PRIM_SIZE[field.code] ?? 0;
    const prim = this.input.take(primBytes);
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
    const at = this.input.pos - 1;
    const desc = this.classDesc(depth + 1, false) as JdkClassDesc;
    const name = desc.k === "desc" ? desc.name.text : "";
    if (!name.startsWith("[") || name.length < 2)
      this.input.fail("TC_ARRAY of a class that is not an array", at);
    const code = name[1] as string;
    const size = PRIM_SIZE[code];
    const node = { k: "array" as const, desc, elements: [] as Uint8Array | JdkNode[] };
    this.assign(node, true);
    const length = this.input.i32();
    if (size !== undefined) {
      if (length < 0 || length > this.input.left / size)
        this.input.fail("an array length past the end of the data");
      node.elements = this.input.take(length * size);
      return node;
    }
    if (code !== "L" && code !== "[") this.input.fail("an array of an unknown element type", at);
    // Every element takes at least one byte (TC_NULL).
    if (length < 0 || length > this.input.left) this.input.fail("an array length past the end of the data");
    const items: JdkNode[] = [];
    node.elements = items;
    for (let i = 0; i < length; i++) items.push(this.content(depth + 1));
    return node;
  }

  private enumConstant(at: number, depth: number): JdkNode {
    const desc = this.classDesc(depth + 1, false) as JdkClassDesc;
    if (desc.k !== "desc" || (desc.flags & SC.ENUM) === 0)
      this.input.fail("TC_ENUM of a class that is not an enum", at);
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
