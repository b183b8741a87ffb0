/**
 * `tsx bench/micro.ts`: nanoseconds per operation of sessionkit's own work on the read and write paths,
 * with a store that answers at once (no Redis, no HTTP), on the compiled code. For deciding what a
 * hot-path change is worth; the HTTP benchmark (bench/run.ts) says what it is worth to an app.
 */

import type * as Codec from "../src/codecs/typed-json-codec.js";
import type * as Manager from "../src/create-session-manager.js";
import type * as Metrics from "../src/metrics/index.js";
import type * as PackedRecord from "../src/redis/packed-record.js";
import type * as CookieSigner from "../src/session/cookies/cookie-signer.js";
import type * as SessionCookie from "../src/session/cookies/session-cookie.js";
import type * as VerifiedCookies from "../src/session/cookies/verified-cookies.js";
import type * as SessionId from "../src/session/session-id.js";
import type * as SessionRecord from "../src/session/session-record.js";
import type { SessionStore, SessionWrite } from "../src/store/session-store.js";
import { buildSessionkit, builtModule } from "./lib/build.js";
import { BENCH_SECRET, BENCH_USER, makeCart } from "./lib/payload.js";

const ITERATIONS = Number(process.env.MICRO_ITERATIONS ?? 200_000);

async function measure(name: string, op: () => unknown | Promise<unknown>): Promise<void> {
  const warm = Math.min(20_000, ITERATIONS);
  for (let i = 0; i < warm; i++) await op();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS / 5; i++) await op();
    rounds.push(Number(process.hrtime.bigint() - started) / (ITERATIONS / 5));
  }
  rounds.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(44)} ${(rounds[2] as number).toFixed(0).padStart(7)} ns/op (min ${(rounds[0] as number).toFixed(0)})`,
  );
}

/** A store that keeps one record and answers at once, as a new Map each time (as RedisStore unpacks one). */
function instantStore(): SessionStore {
  const fields = new Map<string, string>();
  return {
    load: async () => new Map(fields),
    async write(_keyHash: string, write: SessionWrite) {
      for (const [field, value] of write.set) fields.set(field, value);
      for (const field of write.remove) fields.delete(field);
      return "written" as const;
    },
    async remove() {},
    async close() {},
  } as unknown as SessionStore;
}

async function main(): Promise<void> {
  if (!process.argv.includes("--no-build")) buildSessionkit();
  const { createSessionManager } = await builtModule<typeof Manager>("create-session-manager");
  const { CookieSigner: Signer } = await builtModule<typeof CookieSigner>("session/cookies/cookie-signer");
  const { readCookie } = await builtModule<typeof SessionCookie>("session/cookies/session-cookie");
  const { hashSessionId, sessionKeyId } = await builtModule<typeof SessionId>("session/session-id");
  const { typedJsonCodec } = await builtModule<typeof Codec>("codecs/typed-json-codec");
  const { packRecord, unpackRecordMap } = await builtModule<typeof PackedRecord>("redis/packed-record");
  const { parseRecord, ValueSeal } = await builtModule<typeof SessionRecord>("session/session-record");
  const { VerifiedCookies: Verified } = await builtModule<typeof VerifiedCookies>(
    "session/cookies/verified-cookies",
  );

  const store = instantStore();
  const manager = createSessionManager({ store, secret: BENCH_SECRET });
  const created = await manager.load({ cookieHeader: undefined, secure: false });
  Object.assign(created, { user: BENCH_USER, counter: 0, cart: makeCart(0) });
  const setCookie = (await manager.commit(created)) as string;
  const cookieHeader = `${setCookie.slice(0, setCookie.indexOf(";"))}; theme=dark`;
  const signed = readCookie(cookieHeader, "sid") as string;
  const signer = new Signer(BENCH_SECRET);
  const id = signed.slice(0, signed.lastIndexOf("."));
  const cartJson = typedJsonCodec.encode(makeCart(0));
  const cart = makeCart(0);

  console.log(`Node ${process.version}, ${ITERATIONS} iterations, median of 5 rounds`);
  await measure("read request: load + read user + commit", async () => {
    const s = (await manager.load({ cookieHeader, secure: false })) as unknown as { user: string };
    if (s.user !== BENCH_USER) throw new Error("bad session");
    await manager.commit(s as never);
  });
  await measure("read request: load + read cart + commit", async () => {
    const s = (await manager.load({ cookieHeader, secure: false })) as unknown as { cart: { items: [] } };
    if (s.cart.items.length === 0) throw new Error("bad session");
    await manager.commit(s as never);
  });
  let counter = 0;
  await measure("write request: load + change + commit", async () => {
    const s = (await manager.load({ cookieHeader, secure: false })) as unknown as Record<string, unknown>;
    counter++;
    s.counter = counter;
    s.cart = makeCart(counter);
    await manager.commit(s as never);
  });
  // sessionkit/metrics observes the manager: a trace context per load and commit, counters.
  // Measured interleaved (on, off, on, ...) in CPU time, so that the machine's drift hits both alike.
  const { registerMetrics } = await builtModule<typeof Metrics>("metrics/index");
  const { Registry } = await import("prom-client");
  const readRequest = async () => {
    const s = (await manager.load({ cookieHeader, secure: false })) as unknown as { user: string };
    if (s.user !== BENCH_USER) throw new Error("bad session");
    await manager.commit(s as never);
  };
  const writeRequest = async () => {
    const s = (await manager.load({ cookieHeader, secure: false })) as unknown as Record<string, unknown>;
    counter++;
    s.counter = counter;
    s.cart = makeCart(counter);
    await manager.commit(s as never);
  };
  // What a tracing subscriber costs (tracePromise: a trace context, five events, one more promise), no metrics.
  const { tracingChannel } = await import("node:diagnostics_channel");
  const emptySubscriber = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  const subscribe = (mode: "off" | "channels" | "on") => {
    if (mode === "on") {
      const metrics = registerMetrics(manager, { registry: new Registry() });
      return () => metrics.unregister();
    }
    if (mode === "off") return () => {};
    const channels = ["sessionkit:load", "sessionkit:commit"].map((name) => tracingChannel(name));
    for (const channel of channels) channel.subscribe(emptySubscriber);
    return () => {
      for (const channel of channels) channel.unsubscribe(emptySubscriber);
    };
  };
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
  for (const [name, op] of [
    ["read", readRequest],
    ["write", writeRequest],
  ] as const) {
    const cost = { off: [] as number[], channels: [] as number[], on: [] as number[] };
    const ratios: number[] = [];
    for (let round = 0; round < 21; round++) {
      const modes = (["off", "channels", "on"] as const).map(
        (_, i, all) => all[(i + round) % 3] as "off" | "channels" | "on",
      );
      const perOp = { off: 0, channels: 0, on: 0 };
      for (const mode of modes) {
        const unsubscribe = subscribe(mode);
        for (let i = 0; i < 2000; i++) await op();
        const before = process.cpuUsage();
        for (let i = 0; i < ITERATIONS / 20; i++) await op();
        const used = process.cpuUsage(before);
        perOp[mode] = ((used.user + used.system) * 1000) / (ITERATIONS / 20);
        unsubscribe();
        cost[mode].push(perOp[mode]);
      }
      ratios.push(perOp.off / perOp.on);
    }
    console.log(
      `${`${name} request, CPU ns: off / channels / metrics`.padEnd(44)} ${median(cost.off).toFixed(0)} / ${median(cost.channels).toFixed(0)} / ${median(cost.on).toFixed(0)}, off/metrics ${median(ratios).toFixed(3)} (median of 21 interleaved rounds)`,
    );
  }
  const stored = (await store.load("any")) as Map<string, string>;
  const packed = packRecord(Object.fromEntries(stored));
  const seal = new ValueSeal(typedJsonCodec.name);
  const verified = new Verified();
  const keyId = sessionKeyId(id);
  const mac = signed.slice(signed.lastIndexOf(".") + 1);
  verified.remember(keyId, mac, false);
  await measure("  unpackRecordMap (the GET reply)", () => unpackRecordMap(packed));
  await measure("  parseRecord (seals checked)", () => parseRecord(stored, seal));
  await measure("  sessionKeyId (SHA-256, cut)", () => sessionKeyId(id));
  await measure("  VerifiedCookies.lookup", () => verified.lookup(keyId, mac));
  await measure("  readCookie", () => readCookie(cookieHeader, "sid"));
  await measure("  CookieSigner.unsign (HMAC-SHA256)", () => signer.unsign(signed));
  await measure("  hashSessionId (SHA-256)", () => hashSessionId(id));
  await measure("  codec.decode (1 KB cart)", () => typedJsonCodec.decode(cartJson));
  await measure("  codec.encode (1 KB cart)", () => typedJsonCodec.encode(cart));
  await measure("  makeCart (the app's own work)", () => makeCart(1));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
