import { afterAll, describe, expect, inject, it } from "vitest";
import {
  createForeignSessions,
  createPhpSessions,
  createSpringSessions,
  django,
  php,
  rails,
  SPRING_PRINCIPAL_NAME_ATTRIBUTE,
  spring,
} from "../../src/interop/index.js";
import { redisCommand } from "../../tools/redis-harness/redis-server.js";

const { standalone } = inject("redis");

/** The README's commands for sessionkit/interop ("Redis ACL"): keep this list and the README's the same. */
const FOREIGN_COMMANDS = ["+get", "+set", "+del", "+pttl", "+pexpire", "+evalsha", "+eval", "+info"];
const SPRING_COMMANDS = [
  "+hgetall",
  "+hget",
  "+hset",
  "+hdel",
  "+exists",
  "+pexpireat",
  "+sadd",
  "+srem",
  "+smembers",
  "+expire",
  "+append",
  "+publish",
];
const password = "foreign-acl-password-0123456789";
const user = `sk-foreign-acl-${process.pid}`;
const ns = `t-facl-${process.pid}`;

afterAll(async () => {
  await redisCommand(standalone.port, "ACL", "DELUSER", user).catch(() => {});
});

describe("the interop sessions under a least-privilege ACL user", () => {
  it("Rails, Django, PHP (with its lock) and Spring (indexed) work with the README's commands and nothing more", async () => {
    await redisCommand(
      standalone.port,
      "ACL",
      "SETUSER",
      user,
      "reset",
      "on",
      `>${password}`,
      `~${ns}*`,
      `&${ns}*`,
      ...FOREIGN_COMMANDS,
      ...SPRING_COMMANDS,
    );
    const redis = `redis://${user}:${password}@127.0.0.1:${standalone.port}`;
    const options = { redis, logger: false as const };
    const whole = [
      createForeignSessions(rails({ store: "cache", namespace: `${ns}-rails`, expireAfter: "1h" }), options),
      createForeignSessions(django({ keyPrefix: `${ns}-django` }), options),
      createPhpSessions(php({ prefix: `${ns}-php:`, locking: true }), options),
    ];
    for (const sessions of whole) {
      try {
        const id = await sessions.create({ user: "ada" });
        expect(await sessions.update(id, { visits: 1 })).toBe(true);
        expect(await sessions.get(id)).toEqual({ user: "ada", visits: 1 });
        await sessions.destroy(id);
        expect(await sessions.get(id)).toBeUndefined();
      } finally {
        await sessions.close();
      }
    }
    const springSessions = createSpringSessions(
      spring({ attributes: "jdk", namespace: `${ns}-spring`, indexed: true }),
      options,
    );
    try {
      const cookie = await springSessions.create({ [SPRING_PRINCIPAL_NAME_ATTRIBUTE]: "ada" });
      expect(await springSessions.update(cookie, { visits: 1 })).toBe(true);
      expect((await springSessions.findByPrincipalName("ada")).length).toBe(1);
      await springSessions.destroy(cookie);
      expect(await springSessions.get(cookie)).toBeUndefined();
    } finally {
      await springSessions.close();
    }
  });
});
