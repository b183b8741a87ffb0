import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { django } from "../../src/interop/django.js";
import { foreignSession } from "../../src/interop/express.js";
import { createForeignSessions, type ForeignSessions } from "../../src/interop/foreign-sessions.js";
import {
  defineOwn,
  ForeignBytes,
  ForeignDecimal,
  type ForeignOpaque,
  ForeignSet,
  ForeignTuple,
  PyDate,
  PyDateTime,
  PyTime,
  PyTimedelta,
} from "../../src/interop/foreign-value.js";
import { runDjango } from "../support/frameworks.js";
import { prototypeSnapshot } from "../support/fuzz.js";

const { standalone } = inject("redis");

/** Values that stress pickle, as Django stores them; compared value by value (pickled) after Node's write. */
const PYTHON_PAYLOAD = `
import collections, zoneinfo
shared = [1, 2]
P = {
  "unicode": "Zoë 🎉", "surrogate": "\\ud800x", "i30": 2**30, "i31": 2**31, "i53": 2**53, "i63": 2**63,
  "i64": 2**64, "neg64": -2**64, "negzero": -0.0, "inf": float("inf"), "empty_l": [], "empty_d": {}, "empty_t": (),
  "deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], "big": "x" * 100000,
  "__proto__": {"polluted": True}, "dt": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901),
  "dt_utc": datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc),
  "dt_off": datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))),
  "date": datetime.date(2020, 2, 29), "time": datetime.time(1, 2, 3, 4), "td": datetime.timedelta(days=-1, seconds=5),
  "dec": decimal.Decimal("1.10"), "tuple": (1, (2,), "a"), "set": {1, 2}, "fs": frozenset(["a"]), "bytes": b"\\xff\\x00",
  "ba": bytearray(b"xy"), "intkeys": {1: "a", (1, 2): "b"}, "od": collections.OrderedDict(a=1),
  "zi": datetime.datetime(2026, 1, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")), "shared": [shared, shared],
}
`;

function nodePayload(): [Record<string, unknown>, Record<string, string>] {
  const data: Record<string, unknown> = {
    unicode: "Zoë 🎉",
    i31: 2 ** 31,
    i53: 2 ** 53,
    i63: 2n ** 63n,
    i64: 2n ** 64n,
    neg64: -(2n ** 64n),
    negzero: -0,
    empty_l: [],
    empty_d: {},
    deep: Array.from({ length: 40 }).reduce<unknown>((acc) => [acc], 1),
    big: "y".repeat(100_000),
    dt: new PyDateTime(2026, 1, 2, 3, 4, 5, 678901),
    dt_off: new PyDateTime(2026, 1, 2, 0, 0, 0, 0, -19800),
    from_date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
    date: new PyDate(2020, 2, 29),
    time: new PyTime(1, 2, 3, 4),
    td: new PyTimedelta(-1, 5, 0),
    dec: new ForeignDecimal("1.10"),
    tuple: new ForeignTuple([1, new ForeignTuple([2]), "a"]),
    set: new ForeignSet([1, 2]),
    fs: new ForeignSet(["a"], true),
    bytes: new ForeignBytes(Uint8Array.of(0xff, 0)),
    ba: new ForeignBytes(Uint8Array.of(0x78), null, true),
    intkeys: new Map<unknown, unknown>([
      [1, "a"],
      [new ForeignTuple([1, 2]), "b"],
    ]),
  };
  defineOwn(data, "__proto__", { polluted: true });
  const checks: Record<string, string> = {
    unicode: 's["unicode"] == "Zoë 🎉"',
    i31: 's["i31"] == 2**31',
    i53: 's["i53"] == 2**53',
    i63: 's["i63"] == 2**63',
    i64: 's["i64"] == 2**64',
    neg64: 's["neg64"] == -2**64',
    negzero: 'type(s["negzero"]) is float and str(s["negzero"]) == "-0.0"',
    empty_l: 's["empty_l"] == []',
    empty_d: 's["empty_d"] == {}',
    deep: 's["deep"] == functools.reduce(lambda acc, _: [acc], range(40), 1)',
    big: 's["big"] == "y" * 100000',
    dt: 's["dt"] == datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)',
    dt_off: 's["dt_off"].utcoffset() == datetime.timedelta(hours=-5, minutes=-30) and s["dt_off"].hour == 0',
    from_date: 's["from_date"] == datetime.datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.timezone.utc)',
    date: 's["date"] == datetime.date(2020, 2, 29)',
    time: 's["time"] == datetime.time(1, 2, 3, 4)',
    td: 's["td"] == datetime.timedelta(days=-1, seconds=5)',
    dec: 'str(s["dec"]) == "1.10"',
    tuple: 's["tuple"] == (1, (2,), "a")',
    set: 's["set"] == {1, 2} and type(s["set"]) is set',
    fs: 'type(s["fs"]) is frozenset and s["fs"] == frozenset(["a"])',
    bytes: 's["bytes"] == b"\\xff\\x00"',
    ba: 'type(s["ba"]) is bytearray and s["ba"] == bytearray(b"x")',
    intkeys: 's["intkeys"] == {1: "a", (1, 2): "b"}',
    __proto__: 's["__proto__"] == {"polluted": True}',
  };
  return [data, checks];
}

const failing = (checks: Record<string, string>) =>
  `import functools\nresult = [name for name, check in [${Object.entries(checks)
    .map(([name, check]) => `(${JSON.stringify(name)}, lambda: ${check})`)
    .join(", ")}] if not check()]`;

describe.each([
  { label: "defaults", options: {}, driver: {} },
  {
    label: "zlib compressor, pickle protocol 5, key prefix and version",
    options: { compressor: "zlib" as const, protocol: 5 as const, keyPrefix: "app", version: 3 },
    driver: { compressor: "zlib" as const, protocol: 5, keyPrefix: "app", version: 3 },
  },
])("Django cache sessions with django-redis ($label)", ({ options, driver }) => {
  let sessions: ForeignSessions;
  let redis: Redis;
  const batch = (requests: { sid?: string; code: string }[]) =>
    runDjango({ redis: `${standalone.url}/0`, ...driver, requests });

  beforeAll(() => {
    redis = new Redis(standalone.port);
    sessions = createForeignSessions(django(options), { redis: standalone.url, logger: false });
  });
  afterAll(async () => {
    await sessions.close();
    redis.disconnect();
  });

  it("Django writes, sessionkit reads every value, changes one, and Django reads the rest as it wrote them", {
    timeout: 60_000,
  }, async () => {
    const before = prototypeSnapshot();
    const [written] = await batch([{ code: `${PYTHON_PAYLOAD}\nfor k, v in P.items(): s[k] = v` }]);
    expect(written?.error).toBeUndefined();
    const sid = written?.sid as string;
    const data = await sessions.get(sid);
    if (!data) throw new Error("no session");
    expect(prototypeSnapshot()).toBe(before);
    expect(data.unicode).toBe("Zoë 🎉");
    expect((data.surrogate as ForeignOpaque).kind).toBe("opaque");
    expect([data.i30, data.i31, data.i53, data.i63, data.i64, data.neg64]).toEqual([
      2 ** 30,
      2 ** 31,
      2n ** 53n,
      2n ** 63n,
      2n ** 64n,
      -(2n ** 64n),
    ]);
    expect(Object.is(data.negzero, -0)).toBe(true);
    expect([data.empty_l, data.empty_d, data.empty_t]).toEqual([[], {}, new ForeignTuple([])]);
    expect((data.big as string).length).toBe(100_000);
    expect(Object.getOwnPropertyDescriptor(data, "__proto__")?.value).toEqual({ polluted: true });
    expect(data.dt).toEqual(new PyDateTime(2026, 1, 2, 3, 4, 5, 678901, null));
    expect(data.dt_utc).toEqual(new PyDateTime(2026, 1, 2, 0, 0, 0, 0, 0));
    expect((data.dt_off as PyDateTime).utcOffsetSeconds).toBe(-19800);
    expect(data.date).toEqual(new PyDate(2020, 2, 29));
    expect(data.time).toEqual(new PyTime(1, 2, 3, 4, null));
    expect(data.td).toEqual(new PyTimedelta(-1, 5, 0));
    expect(data.dec).toEqual(new ForeignDecimal("1.10"));
    expect(data.tuple).toEqual(new ForeignTuple([1, new ForeignTuple([2]), "a"]));
    expect(data.set).toEqual(new ForeignSet([1, 2]));
    expect(data.fs).toEqual(new ForeignSet(["a"], true));
    expect(data.bytes).toEqual(new ForeignBytes(Uint8Array.of(0xff, 0)));
    expect(data.ba).toEqual(new ForeignBytes(Uint8Array.of(0x78, 0x79), null, true));
    expect([...(data.intkeys as Map<unknown, unknown>).values()]).toEqual(["a", "b"]);
    expect((data.od as ForeignOpaque).className).toBe("collections.OrderedDict");
    expect((data.zi as ForeignOpaque).className).toBe("datetime.datetime");
    const shared = data.shared as unknown[];
    expect(shared[0]).toBe(shared[1]);

    expect(await sessions.update(sid, { node: "from node" })).toBe(true);
    const [read] = await batch([
      {
        sid,
        code: `${PYTHON_PAYLOAD}\nimport pickle\nresult = [s["node"], [k for k in P if pickle.dumps(s[k], 4) != pickle.dumps(P[k], 4)], s["shared"][0] is s["shared"][1]]`,
      },
    ]);
    expect(read?.error).toBeUndefined();
    expect(read?.repr).toBe("['from node', [], True]");
  });

  it("sessionkit writes, Django reads every value as Python would have it", async () => {
    const [data, checks] = nodePayload();
    const sid = await sessions.create(data);
    const [read] = await batch([{ sid, code: failing(checks) }]);
    expect(read?.error).toBeUndefined();
    expect(read?.repr).toBe("[]");
    const ttl = await redis.pttl(sessions.format.keyFor(sid) as string);
    expect(ttl).toBeGreaterThan(1_209_590_000);
  });

  it("_session_expiry and the TTL agree, before and after Node's writes", async () => {
    const [written, dated] = await batch([
      { code: 's.set_expiry(300); s["a"] = 1' },
      {
        code: 's.set_expiry(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=900)); s["a"] = 1',
      },
    ]);
    const sid = written?.sid as string;
    const key = sessions.format.keyFor(sid) as string;
    expect(await redis.pttl(key)).toBeGreaterThan(290_000);
    await sessions.update(sid, { b: 2 });
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    await sessions.update(sid, { c: 3 }, { ttl: "10m" });
    expect(await redis.pttl(key)).toBeGreaterThan(590_000);
    // A datetime expiry: the TTL of a write is what is left of it; an explicit TTL moves it.
    const datedSid = dated?.sid as string;
    const datedKey = sessions.format.keyFor(datedSid) as string;
    await sessions.update(datedSid, { b: 2 });
    expect(await redis.pttl(datedKey)).toBeGreaterThan(880_000);
    expect(await redis.pttl(datedKey)).toBeLessThanOrEqual(900_000);
    await sessions.update(datedSid, { c: 3 }, { ttl: "20m" });
    expect(await redis.pttl(datedKey)).toBeGreaterThan(1_190_000);
    const [read, readDated] = await batch([
      { sid, code: 'result = [s.get_expiry_age(), s["a"], s["b"], s["c"]]' },
      { sid: datedSid, code: 'result = [round(s.get_expiry_age(), -1), s["a"], s["b"], s["c"]]' },
    ]);
    expect(read?.repr).toBe("[600, 1, 2, 3]");
    expect(readDated?.repr).toBe("[1200, 1, 2, 3]");
  });

  it("concurrent writes: Node's never clobber Django's, and parallel Node writes all survive", async () => {
    const sid = await sessions.create({ start: true });
    const djangoWrites = batch(Array.from({ length: 15 }, (_, i) => ({ sid, code: `s["r${i}"] = ${i}` })));
    const nodeWrites = Promise.all(
      Array.from({ length: 15 }, (_, i) => sessions.update(sid, { [`n${i}`]: i })),
    );
    const [results, updated] = await Promise.all([djangoWrites, nodeWrites]);
    expect(results.every((result) => result.error === undefined)).toBe(true);
    expect(updated.every(Boolean)).toBe(true);
    const data = (await sessions.get(sid)) ?? {};
    for (let i = 0; i < 15; i++) expect(data[`r${i}`]).toBe(i);
    const alone = await Promise.all(
      Array.from({ length: 15 }, (_, i) => sessions.update(sid, { [`m${i}`]: i })),
    );
    expect(alone.every(Boolean)).toBe(true);
    const after = (await sessions.get(sid)) ?? {};
    for (let i = 0; i < 15; i++) expect(after[`m${i}`]).toBe(i);
    // A session Django deleted is not brought back by a later Node write.
    await batch([{ sid, code: "s.delete()" }]);
    expect(await sessions.update(sid, { late: true })).toBe(false);
    expect(await redis.exists(sessions.format.keyFor(sid) as string)).toBe(0);
  });

  it("a Node route mounted on the sessionid cookie sees the same user, and both apps' changes during its request survive", async () => {
    const app = express();
    app.use(foreignSession(sessions));
    app.get("/me", async (req, res) => {
      const session = (req as unknown as { session: Record<string, unknown> }).session;
      session.visits_from_node = 1;
      const sid = (req as unknown as { foreignSession: { id: string } }).foreignSession.id;
      await batch([{ sid, code: 's["during"] = "django"' }]);
      res.json({ user: session._auth_user_id ?? null });
    });
    const server = app.listen(0);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const [login] = await batch([{ code: 's["_auth_user_id"] = "42"' }]);
      const sid = login?.sid as string;
      const me = await fetch(`${base}/me`, { headers: { cookie: `sessionid=${sid}` } });
      expect(await me.json()).toEqual({ user: "42" });
      const [read] = await batch([
        { sid, code: 'result = [s["_auth_user_id"], s["visits_from_node"], s["during"]]' },
      ]);
      expect(read?.repr).toBe("['42', 1, 'django']");
    } finally {
      server.close();
    }
  });
});
