import {
  hierarchy,
  type JdkAnnotation,
  type JdkClassData,
  type JdkNode,
  type JdkObject,
  PRIM_SIZE,
  SC,
} from "./jdk-node.js";

/** A field's value: a primitive as JavaScript holds it (long: bigint, char: its code unit), or a node. */
export type FieldValue = number | bigint | boolean | JdkNode;

/** The class data an object holds for the class `name` of its chain. */
export function classDataOf(node: JdkObject, name: string): JdkClassData | undefined {
  const chain = hierarchy(node.desc);
  if (chain.length !== node.classData.length) return undefined;
  const at = chain.findIndex((desc) => desc.k === "desc" && desc.name.text === name);
  return at < 0 ? undefined : node.classData[at];
}

/** Whether an object's own class is `name`. */
export function isInstance(node: JdkNode, name: string): node is JdkObject {
  return node.k === "object" && node.desc.k === "desc" && node.desc.name.text === name;
}

/** The class names of an object's chain, its own first. */
export function classNames(node: JdkObject): string[] {
  return hierarchy(node.desc)
    .reverse()
    .flatMap((desc) => (desc.k === "desc" ? [desc.name.text] : []));
}

/**
 * A serializable field's value, from the lowest class of the chain that declares it (or from `owner`
 * only); undefined when no class declares it or the data is not laid out as the descriptor says.
 */
export function fieldOf(node: JdkObject, name: string, owner?: string): FieldValue | undefined {
  const chain = hierarchy(node.desc);
  if (chain.length !== node.classData.length) return undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    const desc = chain[i];
    const data = node.classData[i];
    if (desc === undefined || data === undefined || desc.k !== "desc") continue;
    if ((desc.flags & SC.EXTERNALIZABLE) !== 0) continue;
    if (owner !== undefined && desc.name.text !== owner) continue;
    let offset = 0;
    let objectIndex = 0;
    for (const field of desc.fields) {
      const size = PRIM_SIZE[field.code];
      if (field.name.text === name) {
        if (size === undefined) return data.objects[objectIndex];
        if (offset + size > data.prim.length) return undefined;
        return primitive(field.code, new DataView(data.prim.buffer, data.prim.byteOffset + offset, size));
      }
      if (size === undefined) objectIndex++;
      else offset += size;
    }
  }
  return undefined;
}

function primitive(code: string, view: DataView): number | bigint | boolean {
  switch (code) {
    case "B":
      return view.getInt8(0);
    case "C":
      return view.getUint16(0);
    case "D":
      return view.getFloat64(0);
    case "F":
      return view.getFloat32(0);
    case "I":
      return view.getInt32(0);
    case "J":
      return view.getBigInt64(0);
    case "S":
      return view.getInt16(0);
    default:
      return view.getUint8(0) !== 0;
  }
}

/**
 * Reads what a writeObject wrote after its fields, the way its readObject reads it back: primitives
 * from the block data (which Java may split anywhere), objects in between. Every read answers undefined
 * instead of throwing when the data is not there, so a view can fall back to an opaque value.
 */
export class AnnotationCursor {
  private item = 0;
  private offset = 0;

  constructor(private readonly items: JdkAnnotation) {}

  private bytes(count: number): DataView | undefined {
    const out = new Uint8Array(count);
    for (let filled = 0; filled < count; ) {
      const item = this.items[this.item];
      if (item === undefined || item.k !== "block") return undefined;
      const take = Math.min(count - filled, item.bytes.length - this.offset);
      out.set(item.bytes.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.offset += take;
      if (this.offset === item.bytes.length) {
        this.item++;
        this.offset = 0;
      }
    }
    return new DataView(out.buffer);
  }

  int(): number | undefined {
    return this.bytes(4)?.getInt32(0);
  }

  long(): bigint | undefined {
    return this.bytes(8)?.getBigInt64(0);
  }

  float(): number | undefined {
    return this.bytes(4)?.getFloat32(0);
  }

  /** The next object; undefined when block data comes first or nothing is left. */
  object(): JdkNode | undefined {
    this.skipEmptyBlocks();
    const item = this.items[this.item];
    if (item === undefined || item.k === "block") return undefined;
    this.item++;
    return item;
  }

  /** `count` objects in a row (a collection's elements), or undefined. */
  objects(count: number): JdkNode[] | undefined {
    // Each element is one item: a count past them is not the layout we know.
    if (count < 0 || count > this.items.length - this.item) return undefined;
    const out: JdkNode[] = [];
    for (let i = 0; i < count; i++) {
      const item = this.object();
      if (item === undefined) return undefined;
      out.push(item);
    }
    return out;
  }

  private skipEmptyBlocks(): void {
    for (
      let item = this.items[this.item];
      item?.k === "block" && item.bytes.length === 0;
      item = this.items[this.item]
    )
      this.item++;
  }

  /** Whether everything was read (what a layout check wants at the end). */
  done(): boolean {
    this.skipEmptyBlocks();
    return this.item >= this.items.length;
  }
}

/** The annotation a class of the chain wrote with its writeObject. */
export function annotationOf(node: JdkObject, name: string): AnnotationCursor | undefined {
  const annotation = classDataOf(node, name)?.annotation;
  return annotation == null ? undefined : new AnnotationCursor(annotation);
}
