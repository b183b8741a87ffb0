import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Diagnostic } from "../../src/common/diagnostics.js";
import { foreignSession } from "../../src/interop/express.js";
import { createForeignSessions, type ForeignSessions } from "../../src/interop/foreign-sessions.js";
import {
  defineOwn,
  ForeignBytes,
  type ForeignOpaque,
  ForeignTime,
  RubySymbol,
} from "../../src/interop/foreign-value.js";
import { isIndifferent, markIndifferent } from "../../src/interop/marshal/marshal-view.js";
import { rails } from "../../src/interop/rails.js";
import { runRails } from "../support/frameworks.js";
import { prototypeSnapshot } from "../support/fuzz.js";

const { standalone } = inject("redis");
const COOKIE = "_app_session";

/** Values that stress Marshal, written by Rails (Ruby literal) and compared byte for byte after Node's write. */
const RUBY_PAYLOAD = `{
  "unicode" => "Zoë 🎉 ✓", "invalid" => "\\xff\\xfe".dup.force_encoding("UTF-8"), "binary" => "\\x00\\xff".b,
  "ascii" => "abc".dup.force_encoding("US-ASCII"), "sjis" => "テスト".encode("Shift_JIS"),
  "i30" => 2**30, "i30m" => 2**30 - 1, "i31" => 2**31, "i53" => 2**53, "i63" => 2**63, "i64" => 2**64,
  "neg64" => -(2**64), "negzero" => -0.0, "float" => 0.1, "inf" => Float::INFINITY,
  "empty_a" => [], "empty_h" => {}, "deep" => (1..40).reduce(1) { |acc, _| [acc] }, "big" => "x" * 100_000,
  "__proto__" => { "polluted" => true }, "constructor" => { "prototype" => 1 },
  "sym" => :admin, "symkeys" => { admin: true, "s" => :x }, "time" => Time.at(1700000000, 123456789, :nsec).utc,
  "local" => Time.at(0).localtime("+05:30"), "twz" => Time.zone.at(1700000000),
  "hwia" => ActiveSupport::HashWithIndifferentAccess.new("a" => 1), "set" => Set[1, 2], "range" => (1..3),
  "bigdecimal" => BigDecimal("1.10"), "rational" => Rational(1, 3), "shared" => (s = [1, 2]; [s, s])
}`;

/** What Node writes, and the Ruby expression that must hold for each once Rails reads it. */
function nodePayload(): [Record<string, unknown>, Record<string, string>] {
  const data: Record<string, unknown> = {
    unicode: "Zoë 🎉",
    bin: new ForeignBytes(Uint8Array.of(0, 0xff)),
    invalid: new ForeignBytes(Uint8Array.of(0xff), "UTF-8"),
    i30: 2 ** 30,
    i30m: 2 ** 30 - 1,
    i31: 2 ** 31,
    i53: 2 ** 53,
    i63: 2n ** 63n,
    i64: 2n ** 64n,
    neg64: -(2n ** 64n),
    negzero: -0,
    float: 0.1,
    empty_a: [],
    empty_h: {},
    deep: Array.from({ length: 40 }).reduce<unknown>((acc) => [acc], 1),
    big: "y".repeat(100_000),
    sym: new RubySymbol("admin"),
    symkeys: new Map<unknown, unknown>([[new RubySymbol("admin"), true]]),
    time: new ForeignTime(1700000000123456789n),
    local: new ForeignTime(0n, 19800),
    twz: new ForeignTime(1700000000123456789n, null, "Europe/Berlin"),
    hwia: markIndifferent({ a: 1 }),
    date: new Date(86_400_000),
  };
  defineOwn(data, "__proto__", { polluted: true });
  const checks: Record<string, string> = {
    unicode: 's["unicode"] == "Zoë 🎉" && s["unicode"].encoding == Encoding::UTF_8',
    bin: 's["bin"] == "\\x00\\xff".b && s["bin"].encoding == Encoding::BINARY',
    invalid: 's["invalid"].bytes == [255] && s["invalid"].encoding == Encoding::UTF_8',
    i30: 's["i30"] == 2**30',
    i30m: 's["i30m"] == 2**30 - 1',
    i31: 's["i31"] == 2**31',
    i53: 's["i53"] == 2**53',
    i63: 's["i63"] == 2**63',
    i64: 's["i64"] == 2**64',
    neg64: 's["neg64"] == -(2**64)',
    negzero: 's["negzero"].is_a?(Float) && s["negzero"].zero? && (1 / s["negzero"]) < 0',
    float: 's["float"] == 0.1',
    empty_a: 's["empty_a"] == []',
    empty_h: 's["empty_h"] == {}',
    deep: 's["deep"] == (1..40).reduce(1) { |acc, _| [acc] }',
    big: 's["big"] == "y" * 100_000',
    sym: 's["sym"] == :admin',
    symkeys: 's["symkeys"] == { admin: true }',
    time: 's["time"] == Time.at(1700000000, 123456789, :nsec) && s["time"].utc?',
    local: 's["local"] == Time.at(0) && s["local"].utc_offset == 19800',
    twz: 's["twz"].is_a?(ActiveSupport::TimeWithZone) && s["twz"] == Time.at(1700000000, 123456789, :nsec) && s["twz"].time_zone.name == "Europe/Berlin" && s["twz"].hour == 23',
    hwia: 's["hwia"].is_a?(ActiveSupport::HashWithIndifferentAccess) && s["hwia"][:a] == 1',
    date: 's["date"] == Time.at(86400)',
    __proto__: 's["__proto__"] == { "polluted" => true }',
  };
  return [data, checks];
}

const failing = (checks: Record<string, string>) =>
  `s = session; { ${Object.entries(checks)
    .map(([name, check]) => `${JSON.stringify(name)} => (${check})`)
    .join(", ")} }.reject { |_, ok| ok }.keys`;

describe.each(["cache", "redis-store"] as const)("Rails %s store", (store) => {
  const namespace = `t-rails-${store}-${process.pid}`;
  let sessions: ForeignSessions;
  let redis: Redis;
  const diagnostics: Diagnostic[] = [];
  const batch = (requests: { sid?: string; code: string }[], expireAfter?: number) =>
    runRails({
      store,
      redis: standalone.url,
      namespace,
      cookie: COOKIE,
      requests,
      expire_after: expireAfter,
    });

  beforeAll(() => {
    redis = new Redis(standalone.port);
    sessions = createForeignSessions(rails({ store, namespace, cookieName: COOKIE, expireAfter: "1h" }), {
      redis: standalone.url,
      onDiagnostic: (diagnostic) => diagnostics.push(diagnostic),
      logger: false,
    });
  });
  afterAll(async () => {
    await sessions.close();
    redis.disconnect();
  });

  it("Rails writes, sessionkit reads every value, changes one attribute, and Rails reads the rest byte for byte", async () => {
    const before = prototypeSnapshot();
    const [written] = await batch([
      { code: `${RUBY_PAYLOAD}.each { |k, v| session[k] = v }; session.keys.size` },
    ]);
    expect(written?.error).toBeUndefined();
    const sid = written?.sid as string;
    const data = await sessions.get(sid);
    if (!data) throw new Error("no session");
    expect(prototypeSnapshot()).toBe(before);
    expect(Object.getPrototypeOf(data)).toBe(null);
    expect(data.unicode).toBe("Zoë 🎉 ✓");
    expect(data.invalid).toEqual(new ForeignBytes(Uint8Array.of(0xff, 0xfe), "UTF-8"));
    expect(data.binary).toEqual(new ForeignBytes(Uint8Array.of(0, 0xff), null));
    expect(data.ascii).toBe("abc");
    expect((data.sjis as ForeignBytes).encoding).toBe("Shift_JIS");
    expect([data.i30, data.i30m, data.i31, data.i53, data.i63, data.i64, data.neg64]).toEqual([
      2 ** 30,
      2 ** 30 - 1,
      2 ** 31,
      2n ** 53n,
      2n ** 63n,
      2n ** 64n,
      -(2n ** 64n),
    ]);
    expect(Object.is(data.negzero, -0)).toBe(true);
    expect([data.float, data.inf, data.empty_a, data.empty_h]).toEqual([
      0.1,
      Number.POSITIVE_INFINITY,
      [],
      {},
    ]);
    expect((data.big as string).length).toBe(100_000);
    expect(Object.hasOwn(data, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(data, "__proto__")?.value).toEqual({ polluted: true });
    expect(data.sym).toEqual(new RubySymbol("admin"));
    expect([...(data.symkeys as Map<unknown, unknown>).entries()]).toEqual([
      [new RubySymbol("admin"), true],
      ["s", new RubySymbol("x")],
    ]);
    expect((data.time as ForeignTime).epochNanoseconds).toBe(1700000000123456789n);
    expect((data.local as ForeignTime).utcOffsetSeconds).toBe(19800);
    expect((data.twz as ForeignTime).zoneName).toBe("Europe/Berlin");
    expect(isIndifferent(data.hwia as object)).toBe(true);
    for (const [name, className] of [
      ["set", "Set"],
      ["range", "Range"],
      ["bigdecimal", "BigDecimal"],
      ["rational", "Rational"],
    ])
      expect((data[name as string] as ForeignOpaque).className).toBe(className);
    const shared = data.shared as unknown[];
    expect(shared[0]).toBe(shared[1]);

    expect(await sessions.update(sid, { node: "from node" })).toBe(true);
    const [read] = await batch([
      {
        sid,
        code: `[session["node"], Marshal.dump(session.to_hash.except("node")) == Marshal.dump(${RUBY_PAYLOAD})]`,
      },
    ]);
    expect(read?.error).toBeUndefined();
    expect(read?.inspect).toBe('["from node", true]');
  });

  it("sessionkit writes, Rails reads every value as Ruby would have it", async () => {
    const [data, checks] = nodePayload();
    const sid = await sessions.create(data);
    const ttl = await redis.pttl(sessions.format.keyFor(sid) as string);
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    const [read] = await batch([{ sid, code: failing(checks) }]);
    expect(read?.error).toBeUndefined();
    expect(read?.inspect).toBe("[]");
    expect(read?.sid).toBe(sid);
    // Rails writes every session it loaded back at the end of the request, without a TTL unless it has expire_after.
    expect(await redis.pttl(sessions.format.keyFor(sid) as string)).toBe(-1);
  });

  it("a session Rails wrote without a TTL gets a warning on read and a TTL on Node's write", async () => {
    const [written] = await batch([{ code: 'session["user_id"] = 42' }]);
    const sid = written?.sid as string;
    const key = sessions.format.keyFor(sid) as string;
    expect(await redis.pttl(key)).toBe(-1);
    expect((await sessions.get(sid))?.user_id).toBe(42);
    expect(diagnostics.some((d) => d.code === "SESSION_CONFIG_WARNING" && /no TTL/.test(d.message))).toBe(
      true,
    );
    await sessions.update(sid, { seen: true });
    expect(await redis.pttl(key)).toBeGreaterThan(3_590_000);
    // With expire_after, Rails writes a TTL too.
    const [withTtl] = await batch([{ code: 'session["a"] = 1' }], 600);
    expect(await redis.pttl(sessions.format.keyFor(withTtl?.sid as string) as string)).toBeGreaterThan(
      590_000,
    );
  });

  it("concurrent writes: Node's never clobber Rails', and parallel Node writes all survive", async () => {
    const sid = await sessions.create({ start: true });
    const railsWrites = batch(
      Array.from({ length: 15 }, (_, i) => ({ sid, code: `session["r${i}"] = ${i}` })),
    );
    const nodeWrites = Promise.all(
      Array.from({ length: 15 }, (_, i) => sessions.update(sid, { [`n${i}`]: i })),
    );
    const [results, updated] = await Promise.all([railsWrites, nodeWrites]);
    expect(results.every((result) => result.error === undefined)).toBe(true);
    expect(updated.every(Boolean)).toBe(true);
    const data = (await sessions.get(sid)) ?? {};
    for (let i = 0; i < 15; i++) expect(data[`r${i}`]).toBe(i);
    // Rails writes the whole hash it read (last writer wins): a Node key written during a Rails request
    // can be lost by Rails itself. Node's own parallel writes are compare-and-set, so none loses another's.
    const alone = await Promise.all(
      Array.from({ length: 15 }, (_, i) => sessions.update(sid, { [`m${i}`]: i })),
    );
    expect(alone.every(Boolean)).toBe(true);
    const after = (await sessions.get(sid)) ?? {};
    for (let i = 0; i < 15; i++) expect(after[`m${i}`]).toBe(i);
  });

  it("a Node route mounted on the Rails cookie sees the same user, and both apps' changes during its request survive", async () => {
    const app = express();
    app.use(foreignSession(sessions));
    app.get("/me", async (req, res) => {
      const session = (req as unknown as { session: Record<string, unknown> }).session;
      session.visits_from_node = 1;
      // Rails changes another attribute while this request is in flight.
      const sid = (req as unknown as { foreignSession: { id: string } }).foreignSession.id;
      await batch([{ sid, code: 'session["during"] = "rails"' }]);
      res.json({ user: session.user_id ?? null });
    });
    app.get("/login", (req, res) => {
      (req as unknown as { session: Record<string, unknown> }).session.user_id = 7;
      res.json({ ok: true });
    });
    const server = app.listen(0);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const [login] = await batch([{ code: 'session["user_id"] = 42' }]);
      const sid = login?.sid as string;
      const me = await fetch(`${base}/me`, { headers: { cookie: `${COOKIE}=${sid}` } });
      expect(await me.json()).toEqual({ user: 42 });
      // A login on the Node side creates the Rails session and its cookie; Rails sees the user.
      const nodeLogin = await fetch(`${base}/login`);
      const cookie = nodeLogin.headers.get("set-cookie") ?? "";
      const nodeSid = new RegExp(`${COOKIE}=([0-9a-f]{32})`).exec(cookie)?.[1] as string;
      const [read, railsView] = await batch([
        { sid, code: '[session["user_id"], session["visits_from_node"], session["during"]]' },
        { sid: nodeSid, code: 'session["user_id"]' },
      ]);
      expect(read?.inspect).toBe('[42, 1, "rails"]');
      expect(railsView?.inspect).toBe("7");
    } finally {
      server.close();
    }
  });

  it("refuses cookies that are not Rack IDs, private IDs above all", async () => {
    expect(sessions.format.keyFor(`2::${"a".repeat(64)}`)).toBeUndefined();
    expect(sessions.format.keyFor("A".repeat(32))).toBeUndefined();
    expect(await sessions.get("not-an-id")).toBeUndefined();
  });
});
