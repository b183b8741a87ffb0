/**
 * `npm run soak [-- --seconds 60 --users 40 --topology standalone|cluster]`: simulated users log in, read,
 * write, log out and revoke against the demo app (Express + sessionkit) while Redis fails (see Target),
 * and every answer is checked:
 *   - a read is the user's own session or an explicit 503, never another user's data, never anonymous
 *     for a session that is alive (the user did not log out);
 *   - a write answered 200 is never lost (later reads show it or something newer);
 *   - a session logged out stays out (no resurrection);
 *   - no request takes longer than the command timeout plus slack;
 *   - at the end, no key of the namespace lacks a TTL.
 * Prints the figures and exits 1 on any violation. Bounded in time, 127.0.0.1 only, every process it
 * starts is stopped by PID.
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { createDemoApp } from "../../demo/app.js";
import { session } from "../../src/adapters/express/index.js";
import { redisCommand, startRedisServer } from "../../tools/redis-harness/redis-server.js";
import { startDedicatedTopology } from "../../tools/redis-harness/topologies.js";
import { Browser, listen, TEST_SECRET } from "../support/browser.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    users: { type: "string", default: "40" },
    topology: { type: "string", default: "standalone" },
  },
});
const SECONDS = Number(values.seconds);
const USERS = Number(values.users);
const COMMAND_TIMEOUT_MS = 1000;
const SLACK_MS = 1500;

const figures = {
  requests: 0,
  ok: 0,
  unavailable: 0,
  stops: 0,
  kills: 0,
  logins: 0,
  logouts: 0,
  writesAcked: 0,
  /** Logouts and revokes answered 503 that had happened all the same (a 503 means "unknown"). */
  endedBy503: 0,
};
const violations: string[] = [];
const violate = (what: string) => {
  if (violations.length < 50) violations.push(what);
};

/**
 * Standalone: one server, stopped (SIGSTOP) or killed and restarted with appendfsync always. Cluster: a
 * 3 + 3 cluster whose primaries are killed (SIGKILL, a replica takes over) and restarted (they come back
 * as replicas); writes WAIT for one replica (durability), so a failover keeps what was acknowledged.
 */
interface Target {
  url: string;
  durability?: { replicas: number };
  stop(): Promise<void>;
  /** One fault; returns which kind. */
  fault(): Promise<"stops" | "kills">;
  /** Every node, to look for keys without a TTL at the end. */
  ports(): number[];
}

async function standaloneTarget(): Promise<Target> {
  const server = await startRedisServer({
    name: "soak",
    args: ["--appendonly", "yes", "--appendfsync", "always"],
  });
  return {
    url: server.url,
    stop: () => server.stop(),
    ports: () => [server.port],
    async fault() {
      if (Math.random() < 0.5) {
        process.kill(server.pid, "SIGSTOP");
        await sleep(500 + Math.random() * 1500);
        process.kill(server.pid, "SIGCONT");
        return "stops";
      }
      await server.kill();
      await sleep(200 + Math.random() * 800);
      await server.restart();
      return "kills";
    },
  };
}

async function clusterTarget(): Promise<Target> {
  const dedicated = await startDedicatedTopology("cluster", { clusterNodeTimeoutMs: 2000 });
  const { ports } = dedicated.topology;
  return {
    url: `redis+cluster://127.0.0.1:${ports[0]}`,
    durability: { replicas: 1 },
    stop: () => dedicated.stop(),
    ports: () => ports,
    async fault() {
      // A node that is a primary now (earlier faults moved the roles around).
      const roles = await Promise.all(ports.map((port) => redisCommand(port, "ROLE").catch(() => null)));
      const primaries = ports.filter((_, i) => (roles[i] as unknown[] | null)?.[0] === "master");
      const victim = dedicated.server(primaries[Math.floor(Math.random() * primaries.length)] as number);
      await victim.kill();
      // Long enough for its replica to take over (node timeout 2 s), then back as a replica.
      await sleep(4000 + Math.random() * 2000);
      await victim.restart();
      return "kills";
    },
  };
}

const target = values.topology === "cluster" ? await clusterTarget() : await standaloneTarget();
const namespace = `soak-${process.pid}`;
const sessions = session({
  redis: target.url,
  secret: TEST_SECRET,
  namespace,
  commandTimeout: COMMAND_TIMEOUT_MS,
  index: { recordDevice: true },
  logger: false,
  ...(target.durability ? { durability: target.durability } : {}),
});
const http = await listen(createServer(createDemoApp(sessions, "soak")));
const deadline = Date.now() + SECONDS * 1000;

async function timedRequest(browser: Browser, method: string, path: string, json?: unknown) {
  const started = performance.now();
  const response = await browser.request(method, path, json === undefined ? {} : { json });
  const ms = performance.now() - started;
  figures.requests++;
  if (ms > COMMAND_TIMEOUT_MS + SLACK_MS) violate(`${method} ${path} took ${Math.round(ms)} ms`);
  if (response.status === 503) figures.unavailable++;
  else figures.ok++;
  return response;
}

interface SessionBody {
  data: { user?: string; counter?: number };
  meta: { isNew: boolean };
}

async function user(n: number): Promise<void> {
  const name = `user-${n}`;
  let browser = new Browser(http.baseUrl);
  let loggedIn = false;
  let acked = 0;
  // A logout or revoke answered 503 may still have happened (a 503 means "unknown": README, When Redis
  // fails): until a read tells, an anonymous answer is no violation.
  let maybeEnded = false;
  /** Until when an anonymous answer may still be that 503's logout landing (a cluster client retries a
   * command redirected during a failover, after the request was answered). */
  let maybeEndedUntil = 0;
  const history: string[] = [];
  const timed = async (b: Browser, method: string, path: string, json?: unknown) => {
    const response = await timedRequest(b, method, path, json);
    history.push(`${method} ${path} ${response.status}`);
    if (history.length > 8) history.shift();
    return response;
  };
  while (Date.now() < deadline) {
    if (!loggedIn) {
      const login = await timed(browser, "POST", "/login", { user: name });
      if (login.status === 303) {
        loggedIn = true;
        acked = 0;
        figures.logins++;
      }
      continue;
    }
    // After a 503 that may have ended the session, a read tells first (a write would start a new one).
    const roll = maybeEnded ? 0 : Math.random();
    if (roll < 0.55) {
      const read = await timed(browser, "GET", "/api/session");
      if (read.status !== 200) continue;
      const body = read.json<SessionBody>();
      if (body.data.user !== undefined && body.data.user !== name)
        violate(`${name} saw ${body.data.user}'s session`);
      const anonymous = body.meta.isNew || body.data.user === undefined;
      if (anonymous && (maybeEnded || Date.now() < maybeEndedUntil)) {
        loggedIn = false;
        maybeEnded = false;
        figures.endedBy503++;
        browser = new Browser(http.baseUrl);
        continue;
      }
      maybeEnded = false;
      if (anonymous) violate(`${name}'s live session was served as anonymous (last: ${history.join(", ")})`);
      if ((body.data.counter ?? 0) < acked)
        violate(`${name} lost an acknowledged write (${body.data.counter} < ${acked})`);
    } else if (roll < 0.9) {
      const next = acked + 1;
      const write = await timed(browser, "PATCH", "/api/session", { counter: next });
      if (write.status === 200) {
        acked = next;
        figures.writesAcked++;
      }
    } else if (roll < 0.97) {
      const before = new Browser(http.baseUrl);
      for (const [k, v] of browser.cookies) before.cookies.set(k, v);
      const logout = await timed(browser, "POST", "/logout");
      if (logout.status !== 303) {
        maybeEnded = true;
        maybeEndedUntil = Date.now() + 10_000;
        continue;
      }
      figures.logouts++;
      loggedIn = false;
      const late = await timed(before, "GET", "/api/session");
      if (late.status === 200 && !late.json<SessionBody>().meta.isNew)
        violate(`${name}'s session came back after logout`);
      browser = new Browser(http.baseUrl);
    } else {
      // Another device of the same user logs in and logs the others out: this one is then out too.
      const other = new Browser(http.baseUrl);
      if ((await timed(other, "POST", "/login", { user: name })).status !== 303) continue;
      const revoke = await timed(other, "POST", "/api/devices/revoke", { all: true, exceptCurrent: true });
      if (revoke.status !== 200) {
        maybeEnded = true;
        maybeEndedUntil = Date.now() + 10_000;
        continue;
      }
      const mine = await timed(browser, "GET", "/api/session");
      if (mine.status === 200 && !mine.json<SessionBody>().meta.isNew)
        violate(
          `${name}'s revoked session still served (revoke: ${revoke.text}; read: ${mine.text.slice(0, 200)}; last: ${history.join(", ")})`,
        );
      browser = other;
      acked = 0;
      const reset = await timed(browser, "PATCH", "/api/session", { counter: 0 });
      if (reset.status !== 200) loggedIn = true;
    }
  }
}

async function faults(): Promise<void> {
  while (Date.now() < deadline - 8000) {
    await sleep(3000 + Math.random() * 2000);
    figures[await target.fault()]++;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const startedAt = Date.now();
try {
  await Promise.all([faults(), ...Array.from({ length: USERS }, (_, n) => user(n))]);
  // Let every in-flight write land, then look for keys without a TTL.
  await sleep(500);
  let withoutTtl = 0;
  let keys = 0;
  for (const port of target.ports()) {
    const redis = new Redis(port, "127.0.0.1");
    // Primaries hold the keys (a replica's copies would count twice).
    const role = (await redis.call("ROLE")) as unknown[];
    if (role[0] === "master") {
      for (const key of await redis.keys(`*${namespace}*`)) {
        keys++;
        if ((await redis.pttl(key)) < 0) withoutTtl++;
      }
    }
    redis.disconnect();
  }
  if (withoutTtl > 0) violate(`${withoutTtl} of ${keys} keys have no TTL`);
  console.log(
    JSON.stringify(
      {
        topology: values.topology,
        seconds: Math.round((Date.now() - startedAt) / 1000),
        users: USERS,
        ...figures,
        keysAtEnd: keys,
        violations: violations.length,
      },
      null,
      2,
    ),
  );
  for (const v of violations) console.log(`VIOLATION ${v}`);
} finally {
  await http.close();
  await sessions.close();
  await target.stop();
}
process.exit(violations.length === 0 ? 0 : 1);
