/**
 * A Java serialization stream (the Object Serialization Stream Protocol, version 5) as a tree: what
 * jdk-reader.ts reads without creating any Java object, and what jdk-writer.ts writes back byte for byte.
 *
 * Every element Java gives a handle (strings, objects, arrays, enum constants, classes, class
 * descriptors) is a node object of its own, and a TC_REFERENCE is read as the very node it names. So a
 * value seen twice (or an object graph with a cycle) is the same node twice, and the writer gives it a
 * handle the first time and a reference after, renumbered for whatever stream it writes.
 */
export type JdkNode = JdkNull | JdkString | JdkObject | JdkArray | JdkEnum | JdkClass | JdkClassDesc;

export interface JdkNull {
  readonly k: "null";
}

/** A java.lang.String. `utf` is its modified UTF-8 as read (kept so a non-canonical form writes back as read). */
export interface JdkString {
  readonly k: "string";
  readonly text: string;
  readonly utf: Uint8Array;
  /** Read as TC_LONGSTRING (Java uses it only past 65,535 bytes; a stream may use it for less). */
  readonly long: boolean;
}

/**
 * An instance of a Serializable or Externalizable class. `classData` has one entry per class of its
 * descriptor chain, from the topmost serializable superclass down to its own class (Java's order); an
 * Externalizable has one entry holding what its writeExternal wrote, as an annotation.
 */
export interface JdkObject {
  readonly k: "object";
  readonly desc: JdkClassDesc;
  readonly classData: JdkClassData[];
}

/** The values one class of an object's chain wrote: its fields, then what its writeObject added. */
export interface JdkClassData {
  /** The primitive fields' values, big-endian, in the descriptor's field order (Java writes them first). */
  readonly prim: Uint8Array;
  /** The object fields' values, in the descriptor's field order. */
  readonly objects: JdkNode[];
  /** Block data and objects up to TC_ENDBLOCKDATA: a class with writeObject, or an Externalizable. */
  readonly annotation: JdkAnnotation | null;
}

/** Block data (as split in the stream) and objects, up to TC_ENDBLOCKDATA. */
export type JdkAnnotation = (JdkBlock | JdkNode)[];

export interface JdkBlock {
  readonly k: "block";
  readonly bytes: Uint8Array;
  /** Read as TC_BLOCKDATALONG. */
  readonly long: boolean;
}

/** An array: primitive elements as their big-endian bytes, object elements as nodes. */
export interface JdkArray {
  readonly k: "array";
  readonly desc: JdkClassDesc;
  readonly elements: Uint8Array | JdkNode[];
}

export interface JdkEnum {
  readonly k: "enum";
  readonly desc: JdkClassDesc;
  readonly constant: JdkString;
}

/** A java.lang.Class value (TC_CLASS). */
export interface JdkClass {
  readonly k: "class";
  readonly desc: JdkClassDesc;
}

export type JdkClassDesc = JdkPlainDesc | JdkProxyDesc;

/** TC_CLASSDESC: a class's name, serialVersionUID, flags and serializable fields. */
export interface JdkPlainDesc {
  readonly k: "desc";
  readonly name: JavaText;
  /** The serialVersionUID as its 8 bytes. */
  readonly suid: Uint8Array;
  readonly flags: number;
  readonly fields: JdkField[];
  readonly annotation: JdkAnnotation;
  readonly superDesc: JdkClassDesc | null;
}

/** TC_PROXYCLASSDESC: a dynamic proxy class, by the names of its interfaces. */
export interface JdkProxyDesc {
  readonly k: "proxy";
  readonly interfaces: JavaText[];
  readonly annotation: JdkAnnotation;
  readonly superDesc: JdkClassDesc | null;
}

/** A serializable field: its type code (B C D F I J S Z, L object, [ array), name, and type signature. */
export interface JdkField {
  readonly code: string;
  readonly name: JavaText;
  /** "Ljava/lang/String;" or "[I": written as a string element, so it can be a reference. */
  readonly type: JdkString | null;
}

/** A name written with writeUTF (2-byte length, modified UTF-8): kept as its bytes too. */
export interface JavaText {
  readonly text: string;
  readonly utf: Uint8Array;
}

export const STREAM_MAGIC = 0xaced;
export const STREAM_VERSION = 5;
export const BASE_HANDLE = 0x7e0000;

export const TC = {
  NULL: 0x70,
  REFERENCE: 0x71,
  CLASSDESC: 0x72,
  OBJECT: 0x73,
  STRING: 0x74,
  ARRAY: 0x75,
  CLASS: 0x76,
  BLOCKDATA: 0x77,
  ENDBLOCKDATA: 0x78,
  RESET: 0x79,
  BLOCKDATALONG: 0x7a,
  EXCEPTION: 0x7b,
  LONGSTRING: 0x7c,
  PROXYCLASSDESC: 0x7d,
  ENUM: 0x7e,
} as const;

export const SC = {
  WRITE_METHOD: 0x01,
  SERIALIZABLE: 0x02,
  EXTERNALIZABLE: 0x04,
  BLOCK_DATA: 0x08,
  ENUM: 0x10,
} as const;

/** Bytes per primitive type code. */
export const PRIM_SIZE: Readonly<Record<string, number>> = { B: 1, C: 2, D: 8, F: 4, I: 4, J: 8, S: 2, Z: 1 };

/**
 * Class data (one per class of an object's hierarchy) allowed per value on average: a class with no
 * fields takes no bytes, so without a bound a few bytes could make millions of them. An Integer has two.
 */
export const SLOTS_PER_NODE = 4;

export const NULL_NODE: JdkNull = { k: "null" };

/** A descriptor's class name: a proxy's is its interfaces (Java names the class itself at run time). */
export function descName(desc: JdkClassDesc): string {
  return desc.k === "desc" ? desc.name.text : `proxy(${desc.interfaces.map((i) => i.text).join(", ")})`;
}

/** A descriptor chain from the topmost superclass down to `desc`. */
export function hierarchy(desc: JdkClassDesc): JdkClassDesc[] {
  const chain: JdkClassDesc[] = [];
  for (let at: JdkClassDesc | null = desc; at !== null; at = at.superDesc) chain.push(at);
  return chain.reverse();
}
