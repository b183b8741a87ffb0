/**
 * Run in a child process by test/heap-retention.test.ts: `node --import tsx retention-probe.ts <redis-url>
 * <namespace>`. Serves one session the way two app instances would (one creates it, the other loads it
 * from a cookie it has not seen), lets go of everything the request held, takes a heap snapshot and
 * prints, as JSON, which of the request's secrets and data the process still holds.
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { createSessionManager } from "../../src/create-session-manager.js";
import { RedisStore } from "../../src/redis/redis-session-store.js";

const [redisUrl = "", namespace = ""] = process.argv.slice(2);
const secret = "retention-probe-secret-0123456789-abcdefghij";
const creator = createSessionManager({ store: new RedisStore({ redis: redisUrl, namespace }), secret });
const loader = createSessionManager({ store: new RedisStore({ redis: redisUrl, namespace }), secret });
const token = () => Math.random().toString(36).slice(2);
// Built from pieces, so that the whole strings exist only where the request puts them.
const markers = { otherCookie: `oc${token()}${token()}`, data: `dt${token()}${token()}` };

/** Returns the session cookie's value reversed: the forward string must not outlive the request. */
async function oneRequest(): Promise<string> {
  const created = (await creator.load({ cookieHeader: undefined, secure: false })) as unknown as Record<
    string,
    unknown
  >;
  created.user = "ann";
  // A long value (decoded when first read) under a name long enough for V8 to slice it from the reply.
  created.preferencesOfTheUser = { note: `${markers.data}-end`, padding: "p".repeat(100) };
  const setCookie = (await creator.commit(created as never)) as string;
  const cookie = setCookie.slice(0, setCookie.indexOf(";"));
  const loaded = (await loader.load({
    cookieHeader: `other=${markers.otherCookie}-end; ${cookie}; theme=dark`,
    secure: false,
  })) as unknown as Record<string, unknown>;
  if (loaded.user !== "ann") throw new Error("the session did not load");
  await loader.commit(loaded as never);
  return [...cookie.slice(cookie.indexOf("=") + 1)].reverse().join("");
}

const reversedCookie = await oneRequest();
await new Promise((resolve) => setTimeout(resolve, 50));
// V8 keeps the subject of the last successful regular expression match (RegExp.lastMatch) until the next
// one, process-wide: the cookie library validates each Set-Cookie value with one, and the app's next
// match replaces it. One string at a time, not a cache; sessionkit's own ID check uses no expression.
/a/.test("a");
const file = writeHeapSnapshot(join(tmpdir(), `sessionkit-retention-${process.pid}.heapsnapshot`));
const snapshot = readFileSync(file, "utf8");
rmSync(file);
const holds = (text: string) => snapshot.includes(text);
console.log(
  JSON.stringify({
    sessionCookie: holds([...reversedCookie].reverse().join("")),
    cookieHeader: holds(`${markers.otherCookie}-end`),
    sessionData: holds(`${markers.data}-end`),
  }),
);
await Promise.all([creator.close(), loader.close()]);
