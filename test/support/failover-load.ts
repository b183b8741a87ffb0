import { Browser } from "./browser.js";

/** Per-request bound: a request slower than this counts as hung (the command timeout is far below it). */
const HANG_MS = 5000;

export interface LoadReport {
  label: string;
  requests: number;
  failed: number;
  hung: number;
  maxLatencyMs: number;
  /** Longest stretch during which no user's write succeeded, in seconds. */
  globalWriteGapSeconds: number;
  /** Longest stretch without a successful write for the worst-off user (a user on the killed shard). */
  worstUserWriteGapSeconds: number;
  /** Users whose login was acknowledged. */
  acknowledgedLogins: number;
  /** Acknowledged logins whose session was gone afterwards. */
  lostSessions: number;
  /** Users whose session survived but lacks a change that had been acknowledged. */
  lostUpdates: number;
}

interface SimulatedUser {
  name: string;
  browser: Browser;
  /** Cookie of the acknowledged login, kept even if a later response clears it. */
  cookie?: string;
  acknowledgedCounter: number;
  lastWriteAt: number;
  worstGapMs: number;
  lostOnTheWay: number;
}

/**
 * Simulated users on 127.0.0.1: each logs in, then changes its session in a loop, until `durationMs`
 * has passed. Bounded in count and time. Returns what was acknowledged, to check against Redis afterwards.
 */
export async function runUsers(baseUrl: string, label: string, userCount: number, durationMs: number) {
  const started = Date.now();
  const deadline = started + durationMs;
  const writes: number[] = [];
  let requests = 0;
  let failed = 0;
  let hung = 0;
  let maxLatencyMs = 0;
  const users: SimulatedUser[] = Array.from({ length: userCount }, (_, i) => ({
    name: `${label}-user-${i}`,
    browser: new Browser(baseUrl),
    acknowledgedCounter: 0,
    lastWriteAt: started,
    worstGapMs: 0,
    lostOnTheWay: 0,
  }));

  const send = async (user: SimulatedUser, method: string, path: string, json: unknown) => {
    requests++;
    const t0 = Date.now();
    try {
      const response = await Promise.race([
        user.browser.request(method, path, { json }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("hung")), HANG_MS)),
      ]);
      maxLatencyMs = Math.max(maxLatencyMs, Date.now() - t0);
      return response;
    } catch (error) {
      if ((error as Error).message === "hung") hung++;
      failed++;
      return undefined;
    }
  };

  const succeeded = (user: SimulatedUser) => {
    const now = Date.now();
    user.worstGapMs = Math.max(user.worstGapMs, now - user.lastWriteAt);
    user.lastWriteAt = now;
    writes.push(now);
  };

  await Promise.all(
    users.map(async (user) => {
      let counter = 0;
      while (Date.now() < deadline) {
        if (user.cookie === undefined || !user.browser.cookies.has("sid")) {
          if (user.cookie !== undefined) user.lostOnTheWay++;
          const login = await send(user, "POST", "/login", { user: user.name });
          if (login?.status === 303) {
            user.cookie = user.browser.cookies.get("sid");
            user.acknowledgedCounter = 0;
            counter = 0;
            succeeded(user);
          } else {
            failed += login ? 1 : 0;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          continue;
        }
        counter++;
        const patch = await send(user, "PATCH", "/api/session", { counter });
        if (patch?.status === 200) {
          user.acknowledgedCounter = counter;
          succeeded(user);
        } else {
          failed += patch ? 1 : 0;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }),
  );

  return {
    users,
    /** Checks every acknowledged login and change against what the app now reads back. */
    async verify(): Promise<LoadReport> {
      let lostSessions = 0;
      let lostUpdates = 0;
      let acknowledgedLogins = 0;
      for (const user of users) {
        lostSessions += user.lostOnTheWay;
        if (user.cookie === undefined) continue;
        acknowledgedLogins++;
        const check = new Browser(baseUrl);
        check.cookies.set("sid", user.browser.cookies.get("sid") ?? user.cookie);
        const data = (await check.get("/api/session")).json<{ data: { user?: string; counter?: number } }>()
          .data;
        if (data.user !== user.name) lostSessions++;
        else if ((data.counter ?? 0) < user.acknowledgedCounter) lostUpdates++;
      }
      writes.sort((a, b) => a - b);
      let globalGap = 0;
      for (let i = 1; i < writes.length; i++)
        globalGap = Math.max(globalGap, (writes[i] as number) - (writes[i - 1] as number));
      return {
        label,
        requests,
        failed,
        hung,
        maxLatencyMs,
        globalWriteGapSeconds: globalGap / 1000,
        // A user still without a write at the deadline has been waiting since its last one.
        worstUserWriteGapSeconds:
          Math.max(...users.map((u) => Math.max(u.worstGapMs, deadline - u.lastWriteAt))) / 1000,
        acknowledgedLogins,
        lostSessions,
        lostUpdates,
      };
    },
  };
}
