import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSessionManager } from "../../src/create-session-manager.js";
import { RedisSessionStore } from "../../src/redis/redis-session-store.js";
import { redisCommand } from "../../tools/redis-harness/redis-server.js";
import { describeStoreContract } from "../contracts/session-store.contract.js";
import { testNamespace } from "../support/browser.js";

const { standalone } = inject("redis");

/**
 * The least-privilege ACL of the README ("Redis ACL"): sessions, the principal index and the admin view
 * work under it (the whole store contract runs as that user), and ready() names a permission that is
 * missing. Keep this list and the README's the same.
 */
const SESSION_COMMANDS = [
  "+get",
  "+set",
  "+del",
  "+type",
  "+pttl",
  "+pexpire",
  "+zadd",
  "+zrem",
  "+zrange",
  "+zscore",
  "+evalsha",
  "+eval",
  "+scan",
  "+ping",
  "+info",
  "+role",
  "+config|get",
];
const password = "least-privilege-password-0123456789";
const user = `sk-acl-${process.pid}`;

async function setUser(name: string, rules: string[]): Promise<void> {
  await redisCommand(
    standalone.port,
    "ACL",
    "SETUSER",
    name,
    "reset",
    "on",
    `>${password}`,
    "~sk:*",
    ...rules,
  );
}

beforeAll(async () => {
  await setUser(user, SESSION_COMMANDS);
});
afterAll(async () => {
  for (const name of [
    user,
    `${user}-no-evalsha`,
    `${user}-no-set`,
    `${user}-no-get`,
    `${user}-events`,
    `${user}-events-no-xadd`,
    `${user}-events-no-zrangebyscore`,
  ])
    await redisCommand(standalone.port, "ACL", "DELUSER", name).catch(() => {});
});

describeStoreContract("RedisSessionStore as a least-privilege ACL user", async () => {
  const store = new RedisSessionStore({
    redis: `redis://${user}:${password}@127.0.0.1:${standalone.port}`,
    namespace: testNamespace("acl"),
  });
  await store.ready();
  const inspector = new Redis(standalone.port, "127.0.0.1");
  return {
    store,
    pttl: (k) => inspector.pttl(store.keys.sessionKey(k)),
    close: async () => {
      await store.close();
      inspector.disconnect();
    },
  };
});

describe("ready() under an ACL without a command sessionkit needs", () => {
  it("names the missing command", async () => {
    for (const missing of ["evalsha", "set", "get"]) {
      const name = `${user}-no-${missing}`;
      await setUser(name, [...SESSION_COMMANDS.filter((c) => c !== `+${missing}`), `-${missing}`]);
      const store = new RedisSessionStore({
        redis: `redis://${name}:${password}@127.0.0.1:${standalone.port}`,
        namespace: testNamespace("acl-missing"),
      });
      try {
        const error = await store.ready().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, missing).toMatchObject({
          code: "SESSION_STORE_PERMISSION",
          // Redis names a command refused to the user itself; inside a script it says only that one was.
          message: expect.stringMatching(
            missing === "set" ? /inside sessionkit's scripts \(GET SET/ : new RegExp(`'${missing}'`, "i"),
          ),
        });
      } finally {
        await store.close();
      }
    }
  });
});

/** What the README's ACL adds for events. */
const EVENT_COMMANDS = [
  "+xadd",
  "+xread",
  "+xreadgroup",
  "+xack",
  "+xautoclaim",
  "+xgroup",
  "+xrevrange",
  "+zrangebyscore",
];

describe("ready() with events on", () => {
  /** ready() of a manager with events, as `name`: null when it resolved, else the error. */
  async function readyAs(name: string, rules: string[]): Promise<unknown> {
    await setUser(name, rules);
    const manager = createSessionManager({
      redis: `redis://${name}:${password}@127.0.0.1:${standalone.port}`,
      namespace: testNamespace("acl-events"),
      secret: "acl-events-secret-0123456789-abcdefghijklmnop",
      events: { sweepInterval: false },
      logger: false,
    });
    try {
      return await manager.ready().then(
        () => null,
        (error: unknown) => error,
      );
    } finally {
      await manager.close();
    }
  }

  it("passes with the README's session and event commands", async () => {
    expect(await readyAs(`${user}-events`, [...SESSION_COMMANDS, ...EVENT_COMMANDS])).toBeNull();
  });

  it("fails at start-up, not at the first login, without a command publishing or the schedule needs", async () => {
    for (const missing of ["xadd", "zrangebyscore"]) {
      const rules = [...SESSION_COMMANDS, ...EVENT_COMMANDS.filter((c) => c !== `+${missing}`)];
      const error = await readyAs(`${user}-events-no-${missing}`, rules);
      expect(error, missing).toMatchObject({
        code: "SESSION_STORE_PERMISSION",
        message: expect.stringMatching(/with events also XADD ZRANGEBYSCORE/),
      });
    }
  });
});
