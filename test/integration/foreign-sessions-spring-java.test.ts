import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ForeignOpaque } from "../../src/interop/foreign-value.js";
import {
  createSpringSessions,
  SPRING_PRINCIPAL_NAME_ATTRIBUTE,
  SPRING_SECURITY_CONTEXT_ATTRIBUTE,
  spring,
} from "../../src/interop/index.js";
import { compileJava, JACKSON_CLASSPATH, type JavaPrograms, javaQuote } from "../support/java.js";
import { springJdkCorpus, springJdkFixtures } from "../unit/interop/spring-jdk-corpus.js";

/**
 * A session as the Spring app wrote it (the values real Java wrote: test/fixtures/interop/spring-*),
 * read and changed by Node in Redis, then every field of the hash read back by the real JDK or Jackson
 * (the fixtures' readers), as Spring's RedisSessionMapper would: creationTime and lastAccessedTime must
 * come back as java.lang.Long and maxInactiveInterval as java.lang.Integer, or Spring's casts fail.
 */
const { standalone } = inject("redis");
const PRINCIPAL_INDEX = `index:${SPRING_PRINCIPAL_NAME_ATTRIBUTE}`;

interface JavaSide {
  compile(): JavaPrograms;
  /**
   * The reader's description of each value, in order. `anyType`: Jackson without Spring Security's
   * allowlist (it refuses a java.lang.Long inside a map, which the created message holds).
   */
  read(programs: JavaPrograms, values: Buffer[], anyType?: boolean): string[];
  /** Values as the Spring app's serializer wrote them. */
  creationTime: Buffer;
  maxInactiveInterval: Buffer;
  securityContext: Buffer;
  /** An object of the app's own class (kept opaque by Node). */
  appObject: Buffer;
  /** Two more values for the Spring side of the race. */
  springValues: [Buffer, Buffer];
  /** How the reader prints what Node writes. */
  describe: {
    long(n: number): string;
    int(n: number): string;
    string(s: string): string;
    list(items: string[]): string;
  };
}

const jdkCorpus = springJdkCorpus();
const jdkValue = (label: string) => {
  const bytes = jdkCorpus.get(label);
  if (bytes === undefined) throw new Error(`no JDK corpus line ${label}`);
  return bytes;
};
const jsonFixtures = path.join(springJdkFixtures, "..", "spring-json");
const jsonCorpus = readFileSync(path.join(jsonFixtures, "corpus.txt"), "utf8")
  .split("\n")
  .filter((line) => line !== "" && !line.startsWith("#"));
const jsonValue = (start: string) => {
  const line = jsonCorpus.find((candidate) => candidate.startsWith(start));
  if (line === undefined) throw new Error(`no JSON corpus line starts with ${start}`);
  return Buffer.from(line);
};
const lines = (output: string) => output.trimEnd().split("\n");
const base64Lines = (values: Buffer[]) => `${values.map((value) => value.toString("base64")).join("\n")}\n`;

const SIDES: Record<"jdk" | "json", JavaSide> = {
  jdk: {
    compile: () => compileJava(path.join(springJdkFixtures, "java")),
    read: (programs, values) => lines(programs.run("ReadStreams", [], base64Lines(values))),
    creationTime: jdkValue("spring-creation-time"),
    maxInactiveInterval: jdkValue("spring-max-inactive-interval"),
    securityContext: jdkValue("security-context-user"),
    appObject: jdkValue("custom-writeobject"),
    springValues: [jdkValue("hashmap"), jdkValue("string-unicode")],
    describe: {
      long: (n) => `Long:${n}`,
      int: (n) => `Integer:${n}`,
      string: (s) => `String:${javaQuote(s)}`,
      list: (items) => `java.util.ArrayList[${items.join(",")}]`,
    },
  },
  json: {
    compile: () => compileJava(jsonFixtures, JACKSON_CLASSPATH),
    read: (programs, values, anyType = false) =>
      lines(programs.run("fixture.ReadValues", [anyType ? "default" : "sample"], base64Lines(values))),
    // Jackson writes a Long and an Integer bare.
    creationTime: Buffer.from("1700000000123"),
    maxInactiveInterval: Buffer.from("1800"),
    securityContext: jsonValue('{"@class":"org.springframework.security.core.context.SecurityContextImpl"'),
    appObject: jsonValue('{"@class":"com.example.Cart"'),
    springValues: [jsonValue('{"@class":"java.util.LinkedHashMap"'), jsonValue('"hello"')],
    describe: {
      long: (n) => `Long ${n}`,
      int: (n) => `Integer ${n}`,
      string: (s) => `String ${javaQuote(s)}`,
      list: (items) => `java.util.ArrayList[${items.join(", ")}]`,
    },
  },
};

describe.each(["jdk", "json"] as const)(
  "Spring sessions read back by real Java, %s attributes",
  (attributes) => {
    const side = SIDES[attributes];
    let programs: JavaPrograms;
    let redis: Redis;
    beforeAll(() => {
      programs = side.compile();
      redis = new Redis(standalone.port);
    });
    afterAll(() => {
      programs?.dispose();
      redis?.disconnect();
    });

    /** A session hash as the Spring app left it (its index entry too); answers its key. */
    const springWrote = async (ns: string, id: string, codec: ReturnType<typeof spring>["codec"]) => {
      const key = `${ns}:sessions:${id}`;
      await redis.hset(key, {
        creationTime: side.creationTime,
        lastAccessedTime: Buffer.from(codec.encode(codec.long(Date.now() - 1000))),
        maxInactiveInterval: side.maxInactiveInterval,
        [`sessionAttr:${SPRING_SECURITY_CONTEXT_ATTRIBUTE}`]: side.securityContext,
        "sessionAttr:cart": side.appObject,
        // Spring's way of removing an attribute: an empty value.
        "sessionAttr:removed": Buffer.alloc(0),
      });
      await redis.expire(key, 2100);
      await redis.sadd(`${ns}:${PRINCIPAL_INDEX}:alice`, Buffer.from(codec.encode(codec.fromValue(id))));
      return key;
    };

    /** The hash's fields, and what the Java reader makes of each value. */
    const javaReads = async (key: string) => {
      const hash = await redis.hgetallBuffer(key);
      // Spring's serializers answer null for an empty value without deserializing anything.
      const names = Object.keys(hash).filter((name) => hash[name]?.length !== 0);
      const read = side.read(
        programs,
        names.map((name) => hash[name] as Buffer),
      );
      return { hash, java: new Map(names.map((name, i) => [name, read[i] as string])) };
    };

    it("Node reads Spring's session (the principal from Spring Security's context), changes it, and Java loads every field as Spring's mapper does", async () => {
      const ns = `t-spring-java-${attributes}-${process.pid}`;
      const format = spring({ attributes, namespace: ns, indexed: true });
      const sessions = createSpringSessions(format, { redis: standalone.url, logger: false });
      try {
        const id = randomUUID();
        const key = await springWrote(ns, id, format.codec);
        const before = await javaReads(key);
        expect([...before.java.values()].filter((line) => line.startsWith("ERROR"))).toEqual([]);
        const cookie = format.cookieValueOf(id);

        const data = (await sessions.get(cookie)) ?? {};
        expect(Object.keys(data).sort()).toEqual([SPRING_SECURITY_CONTEXT_ATTRIBUTE, "cart"].sort());
        expect(data[SPRING_SECURITY_CONTEXT_ATTRIBUTE]).toBeInstanceOf(ForeignOpaque);
        expect((await sessions.findByPrincipalName("alice")).map((found) => found.cookieValue)).toEqual([
          cookie,
        ]);

        expect(await sessions.update(cookie, { theme: "dark", visits: 3, list: ["book", 2] })).toBe(true);
        const after = await javaReads(key);
        // What Spring wrote is still its bytes; Node added its fields and marked the session accessed.
        for (const name of Object.keys(before.hash))
          if (name !== "lastAccessedTime")
            expect(after.hash[name]?.equals(before.hash[name] as Buffer)).toBe(true);
        const { describe } = side;
        expect(after.java.get("creationTime")).toBe(describe.long(1700000000123));
        expect(after.java.get("maxInactiveInterval")).toBe(describe.int(1800));
        expect(after.java.get("lastAccessedTime")).toMatch(
          new RegExp(`^${describe.long(0).replace("0", "")}\\d{13}$`),
        );
        expect(after.java.get("sessionAttr:theme")).toBe(describe.string("dark"));
        expect(after.java.get("sessionAttr:visits")).toBe(describe.int(3));
        expect(after.java.get("sessionAttr:list")).toBe(
          describe.list([describe.string("book"), describe.int(2)]),
        );
        expect(after.java.get(`sessionAttr:${SPRING_SECURITY_CONTEXT_ATTRIBUTE}`)).toBe(
          before.java.get(`sessionAttr:${SPRING_SECURITY_CONTEXT_ATTRIBUTE}`),
        );
        expect(after.java.get("sessionAttr:cart")).toBe(before.java.get("sessionAttr:cart"));

        // Node logs the user out of both apps (deleteById's way): interval 0, index entry gone.
        await sessions.destroy(cookie);
        const ended = await javaReads(key);
        expect(ended.java.get("maxInactiveInterval")).toBe(describe.int(0));
        expect(await redis.scard(`${ns}:${PRINCIPAL_INDEX}:alice`)).toBe(0);
      } finally {
        await sessions.close();
      }
    });

    it("a session Node creates has the types Spring's mapper casts to, and its created message is a map Java reads", async () => {
      const ns = `t-spring-new-${attributes}-${process.pid}`;
      const format = spring({ attributes, namespace: ns, indexed: true });
      const sessions = createSpringSessions(format, { redis: standalone.url, logger: false });
      const subscriber = new Redis(standalone.port);
      const bodies: Buffer[] = [];
      await subscriber.psubscribe(`${ns}:event:0:created:*`);
      subscriber.on("pmessageBuffer", (_pattern: Buffer, _channel: Buffer, body: Buffer) =>
        bodies.push(body),
      );
      try {
        const cookie = await sessions.create({ [SPRING_PRINCIPAL_NAME_ATTRIBUTE]: "erin", theme: "light" });
        const { java } = await javaReads(`${ns}:sessions:${format.idOf(cookie)}`);
        const { describe } = side;
        expect(java.get("creationTime")).toMatch(new RegExp(`^${describe.long(0).replace("0", "")}\\d{13}$`));
        expect(java.get("lastAccessedTime")).toBe(java.get("creationTime"));
        expect(java.get("maxInactiveInterval")).toBe(describe.int(1800));
        expect(java.get(`sessionAttr:${SPRING_PRINCIPAL_NAME_ATTRIBUTE}`)).toBe(describe.string("erin"));
        for (let i = 0; i < 50 && bodies.length === 0; i++)
          await new Promise((resolve) => setTimeout(resolve, 10));
        const [message] = side.read(programs, bodies, true);
        expect(message).toContain("java.util.HashMap");
        expect(message).toContain(describe.int(1800));
      } finally {
        subscriber.disconnect();
        await sessions.close();
      }
    });

    it("concurrent changes from both sides: Spring's attribute and Node's both survive, and Java reads the result", async () => {
      const ns = `t-spring-race-${attributes}-${process.pid}`;
      const format = spring({ attributes, namespace: ns });
      const sessions = createSpringSessions(format, { redis: standalone.url, logger: false });
      try {
        const id = randomUUID();
        const key = await springWrote(ns, id, format.codec);
        const cookie = format.cookieValueOf(id);
        const rounds = 100;
        // Spring's requests: its own attribute and lastAccessedTime, as its delta writes (HSET) do.
        const springSide = (async () => {
          for (let i = 0; i < rounds; i++)
            await redis.hset(key, {
              "sessionAttr:springSide": side.springValues[i % 2] as Buffer,
              lastAccessedTime: Buffer.from(format.codec.encode(format.codec.long(Date.now()))),
            });
        })();
        for (let i = 0; i < rounds; i++) expect(await sessions.update(cookie, { nodeSide: i })).toBe(true);
        await springSide;
        const { hash, java } = await javaReads(key);
        expect(hash["sessionAttr:springSide"]?.equals(side.springValues[(rounds - 1) % 2] as Buffer)).toBe(
          true,
        );
        expect(java.get("sessionAttr:nodeSide")).toBe(side.describe.int(rounds - 1));
        expect([...java.values()].filter((line) => line.startsWith("ERROR"))).toEqual([]);
      } finally {
        await sessions.close();
      }
    });
  },
);
