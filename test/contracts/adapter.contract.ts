import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionOptions } from "../../src/create-session-manager.js";
import { createSessionManager } from "../../src/create-session-manager.js";
import type { RedisStore } from "../../src/redis/redis-session-store.js";
import { sessionKeyId } from "../../src/session/session-id.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { type RedisServerHandle, startRedisServer } from "../../tools/redis-harness/redis-server.js";
import { Client, type HttpResponse, type Transport } from "../adapters/client.js";
import { TEST_SECRET, testNamespace } from "../support/browser.js";

/** One framework's contract app (apps/routes.ts) around a SessionManager, reachable by its transports. */
export interface AdapterHarness {
  name: string;
  start(manager: SessionManager): Promise<StartedApp>;
}

export interface StartedApp {
  /** Over a real loopback socket. */
  socket: Transport;
  /** Through the framework's own request injection, where it has one (fastify.inject, app.request). */
  inject?: Transport;
  close(): Promise<void>;
}

export type TransportName = "socket" | "inject";

interface SessionBody {
  data: Record<string, string>;
  isNew: boolean;
}

const COMMAND_TIMEOUT_MS = 300;
/** "Did not hang": the command timeout plus scheduling noise on a loaded 2-core machine. */
const NO_HANG_BOUND_MS = COMMAND_TIMEOUT_MS + 2000;

const idOf = (cookie: string | undefined) => (cookie ?? "").split(".")[0] ?? "";
const clears = (response: HttpResponse) => response.setCookies.some((c) => /^sid=;.*Max-Age=0/i.test(c));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await call();
  return { result, ms: performance.now() - started };
}

interface Running {
  manager: SessionManager;
  app: StartedApp;
  transport: Transport;
  client(): Client;
  redisKey(cookie: string | undefined): string;
  close(): Promise<void>;
}

async function startApp(
  harness: AdapterHarness,
  transportName: TransportName,
  options: Partial<SessionOptions> & { redis: string },
): Promise<Running> {
  const manager = createSessionManager({
    secret: TEST_SECRET,
    namespace: testNamespace(harness.name.replace(/\W/g, "-")),
    ...options,
  });
  const app = await harness.start(manager);
  const transport = transportName === "inject" ? app.inject : app.socket;
  if (transport === undefined) throw new Error(`${harness.name} has no ${transportName} transport`);
  const store = manager.store as RedisStore;
  return {
    manager,
    app,
    transport,
    client: () => new Client(transport),
    redisKey: (cookie) => store.keys.sessionKey(sessionKeyId(idOf(cookie))),
    close: async () => {
      await app.close();
      await manager.close();
    },
  };
}

/**
 * The behaviour every framework adapter must have (issue 4), over one transport: the README's promises
 * seen from the HTTP side. Runs on the shared standalone Redis in a namespace of its own, and on a
 * redis-server of its own for the outage cases (it is frozen with SIGSTOP). A framework with its own
 * injection runs the outage cases once, through it: they take the same reply path as a socket.
 */
export function describeAdapterContract(
  harness: AdapterHarness,
  transportName: TransportName,
  { outage = true }: { outage?: boolean } = {},
): void {
  describe(`${harness.name} adapter contract over ${transportName}`, () => {
    const { standalone } = inject("redis");
    let running: Running;
    let redis: Redis;
    beforeAll(async () => {
      running = await startApp(harness, transportName, {
        redis: standalone.url,
        index: { recordDevice: true },
      });
      redis = new Redis(standalone.port, "127.0.0.1");
    });
    afterAll(async () => {
      await running?.close();
      redis?.disconnect();
    });

    it("answers a login with 303 and the very next request already sees it", async () => {
      for (let trial = 0; trial < 5; trial++) {
        const client = running.client();
        const login = await client.post(`/login?user=u${trial}`);
        expect(login.status).toBe(303);
        expect(login.headers.get("location")).toBe("/session");
        expect(login.setCookies).toHaveLength(1);
        expect(login.setCookies[0]).toMatch(/^sid=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
        const after = (await client.get("/session")).json<SessionBody>();
        expect(after).toEqual({ data: { user: `u${trial}` }, isNew: false });
      }
    });

    it("a login saved by the handler (Passport's save(cb)) still sends its new cookie", async () => {
      const client = running.client();
      await client.post("/set?cart=1");
      const before = client.cookies.get("sid");
      const login = await client.post("/login?user=saver&save=1");
      expect(login.setCookies).toHaveLength(1);
      expect(client.cookies.get("sid")).not.toBe(before);
      expect((await client.get("/session")).json<SessionBody>()).toEqual({
        data: { cart: "1", user: "saver" },
        isNew: false,
      });
    });

    it("logs in by setPrincipal: indexed under the user, with the device's User-Agent", async () => {
      const user = `p-${harness.name}-${transportName}`;
      const client = running.client();
      const login = await client.request("POST", `/principal?user=${user}`, {
        "user-agent": "contract-agent/1",
      });
      expect(login.status).toBe(303);
      expect((await client.get("/session")).json<SessionBody>().data).toEqual({ user });
      const devices = await running.manager.listSessions(user);
      expect(devices).toHaveLength(1);
      expect(devices[0]?.userAgent).toBe("contract-agent/1");
      expect(await running.manager.revokeAllSessions(user)).toBe(1);
      expect((await client.get("/session")).json<SessionBody>().data).toEqual({});
    });

    it("sends no cookie and writes nothing for a visitor who stores nothing", async () => {
      const response = await running.client().get("/session");
      expect(response.status).toBe(200);
      expect(response.setCookies).toEqual([]);
      expect(response.json<SessionBody>()).toEqual({ data: {}, isNew: true });
    });

    it("keeps both of two overlapping changes of different attributes", async () => {
      let losses = 0;
      for (let trial = 0; trial < 8; trial++) {
        const client = running.client();
        await client.post("/login?user=racer");
        await Promise.all([client.post(`/set?delay=40&slow=${trial}`), client.post(`/set?fast=${trial}`)]);
        const { data } = (await client.get("/session")).json<SessionBody>();
        if (data.slow !== String(trial) || data.fast !== String(trial) || data.user !== "racer") losses++;
      }
      expect(losses).toBe(0);
    });

    it("does not bring a session back when a change lands after logout", async () => {
      for (let trial = 0; trial < 3; trial++) {
        const client = running.client();
        await client.post("/login?user=leaver");
        const cookie = client.cookies.get("sid");
        const slow = client.post("/set?delay=150&late=1", { cookie: `sid=${cookie}` });
        await sleep(40);
        const logout = await client.post("/logout", { cookie: `sid=${cookie}` });
        expect(logout.status).toBe(303);
        expect(clears(logout)).toBe(true);
        const late = await slow;
        // The late change is dropped; its response leaves the cookie alone: by now the browser's cookie may
        // be a newer login's, which a slow request must not delete (rule 16).
        expect(clears(late)).toBe(false);
        expect(await redis.exists(running.redisKey(cookie))).toBe(0);
        const again = await running.client().get("/session", { cookie: `sid=${cookie}` });
        expect(again.json<SessionBody>()).toEqual({ data: {}, isNew: true });
      }
    });

    it("gives a tampered, unsigned or unknown cookie a fresh anonymous session; clears it unless it is a signed one", async () => {
      const owner = running.client();
      await owner.post("/login?user=victim");
      const good = owner.cookies.get("sid") ?? "";
      const [id = "", mac = ""] = good.split(".");
      const flipped = `${id.slice(0, -1)}${id.endsWith("A") ? "B" : "A"}.${mac}`;
      const gone = running.client();
      await gone.post("/login?user=gone");
      const loggedOut = gone.cookies.get("sid");
      await gone.post("/logout");
      for (const bad of [flipped, good.slice(0, -3), id, "garbage", loggedOut]) {
        const response = await running.client().get("/session", { cookie: `sid=${bad}` });
        expect(response.status).toBe(200);
        expect(response.json<SessionBody>()).toEqual({ data: {}, isNew: true });
        // A cookie that is not ours is deleted; a signed one whose session is gone is left alone (rule 16).
        expect(clears(response)).toBe(bad !== loggedOut);
      }
      expect((await owner.get("/session")).json<SessionBody>().data).toEqual({ user: "victim" });
    });

    it("regenerate keeps the data, gives a new ID and kills the old one", async () => {
      const client = running.client();
      await client.post("/set?theme=dark");
      const before = client.cookies.get("sid");
      expect(await redis.exists(running.redisKey(before))).toBe(1);
      await client.post("/login?user=ann");
      const after = client.cookies.get("sid");
      expect(idOf(after)).not.toBe(idOf(before));
      expect((await client.get("/session")).json<SessionBody>().data).toEqual({ theme: "dark", user: "ann" });
      expect(await redis.exists(running.redisKey(before))).toBe(0);
      const stolen = await running.client().get("/session", { cookie: `sid=${before}` });
      expect(stolen.json<SessionBody>()).toEqual({ data: {}, isNew: true });
    });

    it("destroy removes the record at once and the response clears the cookie", async () => {
      const client = running.client();
      await client.post("/login?user=bye");
      const cookie = client.cookies.get("sid");
      const key = running.redisKey(cookie);
      expect(await redis.ttl(key)).toBeGreaterThan(0);
      const logout = await client.post("/logout");
      expect(logout.status).toBe(303);
      expect(clears(logout)).toBe(true);
      expect(client.cookies.has("sid")).toBe(false);
      expect(await redis.exists(key)).toBe(0);
    });

    it("commits a change made before the handler failed, and the error response carries the cookie", async () => {
      const client = running.client();
      const failed = await client.post("/fail?note=kept");
      expect(failed.status).toBe(500);
      expect(failed.setCookies).toHaveLength(1);
      expect((await client.get("/session")).json<SessionBody>()).toEqual({
        data: { note: "kept" },
        isNew: false,
      });
    });
  });

  if (!outage) return;
  describe(`${harness.name} adapter over ${transportName} with Redis down`, () => {
    let server: RedisServerHandle;
    let closed: Running;
    let open: Running;
    beforeAll(async () => {
      server = await startRedisServer({
        name: `adapter-${harness.name}-${transportName}`.replace(/\W/g, "-"),
      });
      const common = { redis: server.url, commandTimeout: COMMAND_TIMEOUT_MS };
      closed = await startApp(harness, transportName, common);
      open = await startApp(harness, transportName, { ...common, failurePolicy: "open" });
    });
    afterAll(async () => {
      await closed?.close();
      await open?.close();
      await server?.stop();
    });

    /** Freezes Redis (connections stay open, nothing answers) while `during` runs. */
    async function frozen<T>(during: () => Promise<T>): Promise<T> {
      process.kill(server.pid, "SIGSTOP");
      try {
        return await during();
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
    }

    it("fail-closed: answers 503 within the command timeout, and serves the session again after", async () => {
      const client = closed.client();
      await client.post("/login?user=frozen");
      const { result, ms } = await frozen(() => timed(() => client.get("/session")));
      expect(result.status).toBe(503);
      expect(ms).toBeLessThan(NO_HANG_BOUND_MS);
      expect(result.setCookies).toEqual([]);
      await expect
        .poll(async () => (await client.get("/session")).json<SessionBody>().data.user, { timeout: 5000 })
        .toBe("frozen");
    });

    it("fail-closed: a visitor without a cookie is served while Redis is down (nothing to read)", async () => {
      const { result } = await frozen(() => timed(() => closed.client().get("/session")));
      expect(result.status).toBe(200);
    });

    it("a commit that fails replaces the handler's response with a plain 503, whatever the policy", async () => {
      for (const running of [closed, open]) {
        const client = running.client();
        await client.post("/login?user=committer");
        const cookie = client.cookies.get("sid");
        // Loaded and regenerated while Redis answers; the commit meets a frozen Redis.
        const pending = timed(() => client.post("/login?user=never-stored&delay=150"));
        await sleep(50);
        const { result, ms } = await frozen(async () => pending);
        expect(result.status).toBe(503);
        expect(result.text).toMatch(/session store/);
        expect(result.headers.get("retry-after")).toBe("1");
        expect(result.headers.get("location")).toBeNull();
        expect(result.setCookies).toEqual([]);
        expect(ms).toBeLessThan(NO_HANG_BOUND_MS);
        expect(client.cookies.get("sid")).toBe(cookie);
      }
    });

    it("fail-open: reads anonymously, refuses writes with 503, keeps the cookie, and recovers", async () => {
      const client = open.client();
      await client.post("/login?user=open");
      const cookie = client.cookies.get("sid");
      const { read, write } = await frozen(async () => ({
        read: await timed(() => client.get("/session")),
        write: await timed(() => client.post("/set?lost=1")),
      }));
      // Reads go on anonymously; a change that cannot be stored fails instead of looking stored.
      expect(read.result.status).toBe(200);
      expect(read.result.json<SessionBody>().data).toEqual({});
      expect(write.result.status).toBe(503);
      for (const { result, ms } of [read, write]) {
        expect(ms).toBeLessThan(NO_HANG_BOUND_MS);
        expect(result.setCookies).toEqual([]);
      }
      expect(client.cookies.get("sid")).toBe(cookie);
      await expect
        .poll(async () => (await client.get("/session")).json<SessionBody>().data, { timeout: 5000 })
        .toEqual({ user: "open" });
    });
  });
}
