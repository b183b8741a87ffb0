import { createServer, type ServerResponse } from "node:http";
import { parse, serialize } from "cookie";
import { describe, expect, it } from "vitest";
import { commitBeforeResponse } from "../../src/adapters/node/commit-before-response.js";
import { useDictionaryProperties } from "../../src/adapters/node/dictionary-mode.js";
import { typedJsonCodec as codec } from "../../src/codecs/typed-json-codec.js";
import { createSessionManager } from "../../src/create-session-manager.js";
import { resolveCookieOptions, serializeSessionCookie } from "../../src/session/cookies/session-cookie.js";
import { VerifiedCookies } from "../../src/session/cookies/verified-cookies.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { MemoryStore } from "../../src/store/memory-store.js";

/**
 * The fast paths added for the benchmark (bench/README.md) must answer exactly what the general paths
 * answer: these compare the two on the same inputs.
 */
const replacerOnly = (value: unknown) =>
  // The general path: what encode() wrote before the fast path (a replacer that changes nothing here).
  JSON.stringify(value, (_key, v: unknown) => v);

describe("typed JSON codec fast paths", () => {
  it("writes plain data exactly as the general path does", () => {
    const values: unknown[] = [
      { items: [{ sku: "A-1", qty: 2, price: 19.99, gift: false, note: null }], currency: "EUR" },
      [1, "two", [3, [4]], { five: 5 }, null, true],
      { nested: { deeper: { deepest: "x" } }, empty: {}, list: [] },
      { withUndefined: undefined, kept: 1, arr: [undefined, 2] },
      Object.assign(Object.create(null), { nullPrototype: true }),
      'text with "quotes" and \\ backslashes and \u0001 controls',
      0,
      -0,
      1e21,
      false,
      null,
    ];
    for (const value of values) expect(codec.encode(value)).toBe(replacerOnly(value));
  });

  it("still tags and escapes what is not plain JSON, at any depth", () => {
    const date = new Date("2026-01-02T03:04:05.006Z");
    const value = { a: [{ b: { when: date, big: 10n, $dollar: 1, n: Number.NaN } }] };
    const decoded = codec.decode(codec.encode(value)) as typeof value;
    const b = decoded.a[0]?.b as (typeof value.a)[0]["b"];
    expect(b.when).toBeInstanceOf(Date);
    expect(b.when.getTime()).toBe(date.getTime());
    expect(b.big).toBe(10n);
    expect(b.$dollar).toBe(1);
    expect(Number.isNaN(b.n)).toBe(true);
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    // A class instance takes the general path: the same JSON as before the fast path.
    expect(codec.encode({ p: new Point(1, 2) })).toBe('{"p":{"x":1,"y":2}}');
    expect(codec.encode({ j: { toJSON: () => "custom" } })).toBe('{"j":"custom"}');
  });

  it("reports cycles and deep nesting as before", () => {
    const cyclic: Record<string, unknown> = { a: {} };
    (cyclic.a as Record<string, unknown>).back = cyclic;
    expect(() => codec.encode(cyclic)).toThrow(/cannot encode/);
    let deep: unknown = "leaf";
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(codec.decode(codec.encode(deep))).toEqual(deep);
  });

  it("decodes without the reviver only when the reviver would change nothing", () => {
    expect(codec.decode('{"price":"$5","a":"x\\"$y"}')).toEqual({ price: "$5", a: 'x"$y' });
    // A key spelled with a \u escape is still a marker key.
    expect(() => codec.decode('{"\\u0024x":1}')).toThrow(/unknown marker key/);
    expect(codec.decode('{"\\u0024\\u0024x":1}')).toEqual({ $x: 1 });
    expect(codec.decode('{"$t":"Date","v":"2026-01-02T03:04:05.006Z"}')).toBeInstanceOf(Date);
    expect(codec.decode('"caf\\u00e9"')).toBe("café");
  });
});

describe("verified-cookie cache", () => {
  const secret = "s".repeat(40);
  const old = "o".repeat(40);
  const request = (cookie: string) => ({ cookieHeader: `sid=${cookie}`, secure: false });

  async function signedSession(manager: SessionManager): Promise<string> {
    const session = await manager.load({ cookieHeader: undefined, secure: false });
    (session as unknown as Record<string, unknown>).user = "u1";
    const setCookie = (await manager.commit(session)) as string;
    return setCookie.slice(setCookie.indexOf("=") + 1, setCookie.indexOf(";"));
  }

  it("answers a verified cookie again, and never accepts a bad one, before or after caching", async () => {
    const store = new MemoryStore();
    const manager = createSessionManager({ store, secret: [secret, old] });
    const cookie = await signedSession(manager);
    const tampered = `${cookie.slice(0, -1)}${cookie.endsWith("A") ? "B" : "A"}`;
    const otherMac = `${cookie.slice(0, cookie.lastIndexOf("."))}.${"A".repeat(43)}`;
    for (let i = 0; i < 3; i++) {
      expect((await manager.load(request(cookie))).meta.isNew).toBe(false);
      expect((await manager.load(request(tampered))).meta.isNew).toBe(true);
      expect((await manager.load(request(otherMac))).meta.isNew).toBe(true);
    }
    await manager.close();
  });

  it("re-issues a cookie signed by an old secret on every request, cached or not", async () => {
    const store = new MemoryStore();
    const before = createSessionManager({ store, secret: old });
    const cookie = await signedSession(before);
    const rotated = createSessionManager({ store, secret: [secret, old] });
    for (let i = 0; i < 3; i++) {
      const session = await rotated.load(request(cookie));
      expect(session.meta.isNew).toBe(false);
      expect(await rotated.commit(session)).toMatch(/^sid=/);
    }
    // A manager with other secrets does not accept it, whatever another manager cached.
    const other = createSessionManager({ store, secret: "x".repeat(40) });
    expect((await other.load(request(cookie))).meta.isNew).toBe(true);
  });

  it("keeps answering after many distinct entries (generations roll over) and holds no cookie", () => {
    const cache = new VerifiedCookies();
    cache.remember("key-first", "mac-first", false);
    for (let i = 0; i < 25_000; i++) {
      cache.remember(`key-${i}`, `mac-${i}`, i % 2 === 0);
      // An entry in use is carried over into the next generation.
      if (i % 5_000 === 0) expect(cache.lookup("key-first", "mac-first")).toBe(false);
    }
    expect(cache.lookup("key-first", "mac-first")).toBe(false);
    expect(cache.lookup("key-24999", "mac-24999")).toBe(false);
    expect(cache.lookup("key-24998", "mac-24998")).toBe(true);
    expect(cache.lookup("key-2", "mac-2")).toBeUndefined();
    expect(cache.lookup("key-first", "mac-other")).toBeUndefined();
  });
});

describe("session cookie serialisation", () => {
  it("matches the cookie library for every option combination", () => {
    const optionSets = [
      {},
      { domain: "example.com", path: "/app", sameSite: "strict" as const, httpOnly: false },
      { secure: true as const },
      { secure: false as const, sameSite: "none" as const, name: "__Host-s" },
    ];
    for (const set of optionSets) {
      const options = resolveCookieOptions(set);
      for (const secureRequest of [false, true]) {
        for (const maxAgeMs of [undefined, 0, 999, 86_400_000.5]) {
          for (const value of ["abc.DEF-_9", "needs encoding;=", ""]) {
            const expected = serialize(options.name, value, {
              path: options.path,
              domain: options.domain,
              secure: options.secure === "auto" ? secureRequest : options.secure,
              httpOnly: options.httpOnly,
              sameSite: options.sameSite,
              maxAge: maxAgeMs === undefined ? undefined : Math.max(0, Math.floor(maxAgeMs / 1000)),
            });
            expect(serializeSessionCookie(options, value, maxAgeMs, secureRequest)).toBe(expected);
          }
        }
      }
    }
  });

  it("refuses invalid options as the library does", () => {
    const options = resolveCookieOptions({ path: "/a;b" });
    expect(() => serializeSessionCookie(options, "abc", undefined, false)).toThrow(TypeError);
    expect(parse(serializeSessionCookie(resolveCookieOptions(), "a.b", 1000, false)).sid).toBe("a.b");
  });
});

describe("held responses", () => {
  async function serve(handler: (res: ServerResponse) => void, header = "x-none") {
    const server = createServer((_req, res) => handler(res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      return {
        status: response.status,
        cookie: response.headers.get("set-cookie"),
        header: response.headers.get(header),
        body: await response.text(),
      };
    } finally {
      server.close();
    }
  }

  it("replays writes in order after the commit, with the cookie, and gives the methods back", async () => {
    let after: { own: boolean; end: unknown } | undefined;
    const result = await serve((res) => {
      const end = res.end;
      commitBeforeResponse(res, async () => "sid=abc; Path=/");
      res.writeHead(201, { "content-type": "text/plain" });
      res.write("one,");
      res.end("two", () => {
        after = { own: Object.hasOwn(res, "end"), end: res.end };
      });
      expect(res.end).not.toBe(end);
    });
    expect(result).toMatchObject({ status: 201, cookie: "sid=abc; Path=/", body: "one,two" });
    expect(after?.own).toBe(false);
  });

  it("lets a response ended in one call go in the same tick when the commit has nothing to do (null)", async () => {
    let sentSynchronously = false;
    let ownEnd = true;
    const result = await serve((res) => {
      commitBeforeResponse(res, () => null);
      res.setHeader("content-type", "text/plain");
      res.end("read only");
      sentSynchronously = res.writableEnded;
      ownEnd = Object.hasOwn(res, "end");
    });
    expect(result).toMatchObject({ status: 200, cookie: null, body: "read only" });
    expect(sentSynchronously).toBe(true);
    expect(ownEnd).toBe(false);
  });

  it("still holds a response begun with writeHead when there is nothing to commit: headers can follow", async () => {
    const result = await serve((res) => {
      commitBeforeResponse(res, () => null);
      res.writeHead(200, { "content-type": "text/plain" });
      res.setHeader("x-extra", "1");
      res.end("read only");
    });
    expect(result).toMatchObject({ status: 200, body: "read only" });
    const extra = await serve((res) => {
      commitBeforeResponse(res, () => null);
      res.writeHead(200);
      res.setHeader("x-extra", "1");
      res.end();
    }, "x-extra");
    expect(extra.header).toBe("1");
  });

  it("answers 500, and keeps the process up, when a held call of the handler's throws on replay", async () => {
    const result = await serve((res) => {
      commitBeforeResponse(res, async () => undefined);
      res.writeHead(42);
      res.end("never");
    });
    expect(result.status).toBe(500);
  });

  it("puts back a method the response had as its own, and answers 503 when the commit fails", async () => {
    let ownEndKept = false;
    const result = await serve((res) => {
      const original = res.end.bind(res);
      const ownEnd = ((...args: Parameters<ServerResponse["end"]>) =>
        original(...args)) as ServerResponse["end"];
      res.end = ownEnd;
      commitBeforeResponse(res, async () => {
        throw Object.assign(new Error("down"), { status: 503 });
      });
      res.setHeader("location", "/secret");
      res.end("handler body");
      setImmediate(() => {
        ownEndKept = res.end === ownEnd;
      });
    });
    expect(result.status).toBe(500);
    expect(result.body).toBe("Session commit failed\n");
    await new Promise((resolve) => setImmediate(resolve));
    expect(ownEndKept).toBe(true);
  });

  it("dictionary mode keeps every property and value", () => {
    const target = { a: 1, b: "two", [Symbol.for("c")]: 3 } as Record<string | symbol, unknown>;
    useDictionaryProperties(target);
    expect(target).toEqual({ a: 1, b: "two", [Symbol.for("c")]: 3 });
    expect(Object.getOwnPropertySymbols(target)).toEqual([Symbol.for("c")]);
  });
});
