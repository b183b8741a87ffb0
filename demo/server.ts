/**
 * `npm run demo`: the session playground on http://127.0.0.1:$PORT (default 3000).
 * Uses REDIS_URL when set; otherwise starts its own redis-server on a free port; if that is impossible,
 * falls back to the in-process MemoryStore and says so.
 */
import { randomBytes } from "node:crypto";
import { session } from "../src/adapters/express/index.js";
import { createMemoryStore, createRedisStore, type SessionStore } from "../src/index.js";
import { redact } from "../src/redis/connection/redis-url.js";
import { isRedisBackedStore } from "../src/redis/redis-session-store.js";
import { startRedisServer } from "../tools/redis-harness/redis-server.js";
import { createDemoApp, watchEvents } from "./app.js";

const port = Number(process.env.PORT ?? 3000);
// A random secret per start unless SESSION_SECRET is set: a fixed one in the source would be everyone's.
const secret = process.env.SESSION_SECRET ?? randomBytes(32).toString("base64url");
const cleanups: Array<() => Promise<void>> = [];

async function chooseStore(): Promise<{ store: SessionStore; storeLabel: string }> {
  let url = process.env.REDIS_URL;
  if (!url) {
    try {
      const server = await startRedisServer();
      cleanups.push(() => server.stop());
      url = server.url;
      console.log(`Started redis-server (pid ${server.pid}) at ${url}`);
    } catch (error) {
      console.warn(
        `\n!!! Could not start redis-server (${(error as Error).message.split("\n")[0]}).\n` +
          "!!! FALLING BACK TO THE IN-MEMORY STORE: sessions live in this process only.\n" +
          "!!! Set REDIS_URL=redis://host:port to use a Redis you run.\n",
      );
      return { store: createMemoryStore(), storeLabel: "memory (no Redis)" };
    }
  }
  // The label is printed and shown on the page: never with the URL's password.
  return { store: createRedisStore({ redis: url, namespace: "demo" }), storeLabel: redact(url) };
}

const { store, storeLabel } = await chooseStore();
const sessions = session({
  store,
  secret,
  // Browsers keep cookies per host, not per port: two apps on 127.0.0.1 would overwrite one "sid".
  cookie: { name: `sk-demo-${port}` },
  idleTimeout: "30m",
  absoluteTimeout: "1d",
  touchAfter: "1m",
  index: { recordDevice: true },
  // Events need Redis; the in-memory fallback runs without them.
  ...(isRedisBackedStore(store) ? { events: { includeData: false } } : {}),
});
const events = watchEvents(sessions.manager);
cleanups.push(async () => {
  await events?.stop();
  await sessions.close();
});
// The dashboard shows every user's sessions: never without a token. One is made up when none is given.
const adminToken = process.env.ADMIN_TOKEN || randomBytes(18).toString("base64url");
const admin = { token: adminToken, secret, cookieName: `sk-demo-admin-${port}`, idleTimeout: "30m" };
const server = createDemoApp(sessions, storeLabel, events, admin).listen(port, "127.0.0.1", () => {
  console.log(`sessionkit playground: http://127.0.0.1:${port}/  (store: ${storeLabel})`);
  console.log(`dashboard: http://127.0.0.1:${port}/admin/  metrics: http://127.0.0.1:${port}/metrics`);
  if (!process.env.ADMIN_TOKEN) console.log(`ADMIN_TOKEN (generated for this start): ${adminToken}`);
});

async function shutdown(): Promise<void> {
  server.close();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
