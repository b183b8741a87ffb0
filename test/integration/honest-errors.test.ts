import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/common/diagnostics.js";
import { createSessionManager, type SessionOptions } from "../../src/create-session-manager.js";
import {
  type RedisServerHandle,
  redisCommand,
  startRedisServer,
} from "../../tools/redis-harness/redis-server.js";
import { TEST_SECRET, testNamespace } from "../support/browser.js";

/**
 * Rule 19: a misconfigured deployment says what is wrong, with a stable code, at start-up (ready()) and on
 * every request, and logs it once per cause, instead of "did not answer within 1000 ms".
 */
describe("honest errors (rule 19)", () => {
  let server: RedisServerHandle;
  const password = "right-password/with@odd:characters";
  beforeAll(async () => {
    server = await startRedisServer({ name: "honest-errors" });
    await redisCommand(server.port, "ACL", "SETUSER", "app", "on", `>${password}`, "~*", "+@all");
    await redisCommand(
      server.port,
      "ACL",
      "SETUSER",
      "no-scripts",
      "on",
      ">scripts-pw",
      "~*",
      "+@all",
      "-evalsha",
      "-eval",
    );
    await redisCommand(server.port, "ACL", "SETUSER", "default", "off");
  });
  afterAll(async () => {
    const admin = new Redis({ port: server.port, host: "127.0.0.1", username: "app", password });
    await admin.call("ACL", "SETUSER", "default", "on").catch(() => {});
    admin.disconnect();
    await server?.stop();
  });

  const url = (userInfo: string) => `redis://${userInfo}@127.0.0.1:${server.port}`;
  const encoded = encodeURIComponent(password);

  function managerFor(redis: string, extra: Partial<SessionOptions> = {}) {
    const lines: string[] = [];
    const diagnostics: Diagnostic[] = [];
    const manager = createSessionManager({
      redis,
      secret: TEST_SECRET,
      namespace: testNamespace("honest"),
      commandTimeout: 300,
      logger: { warn: (line) => lines.push(line), error: (line) => lines.push(line) },
      onDiagnostic: (d) => diagnostics.push(d),
      ...extra,
    });
    return { manager, lines, diagnostics };
  }

  it("names the cause, with its code, at start-up and on every request", { timeout: 40_000 }, async () => {
    const cases: [string, string, RegExp][] = [
      [url(`app:wrong-password`), "SESSION_STORE_AUTH", /refused the credentials/],
      [`redis://127.0.0.1:${server.port}`, "SESSION_STORE_AUTH", /needs a password|refused the credentials/],
      ["redis://127.0.0.1:1", "SESSION_STORE_UNREACHABLE", /nothing listens/],
      ["redis://no-such-host.invalid:6379", "SESSION_STORE_UNREACHABLE", /does not resolve/],
      [url("no-scripts:scripts-pw"), "SESSION_STORE_PERMISSION", /evalsha/i],
    ];
    for (const [redis, code, message] of cases) {
      const { manager } = managerFor(redis);
      try {
        const startUp = await manager.ready().then(
          () => null,
          (error: unknown) => error,
        );
        expect(startUp, redis).toMatchObject({ code, status: 503, message: expect.stringMatching(message) });
        expect(String((startUp as Error).message)).not.toContain("right-password");
        if (code !== "SESSION_STORE_PERMISSION") {
          const request = await manager
            .load({ cookieHeader: undefined, secure: false })
            .then(async (session) => {
              (session as unknown as Record<string, unknown>).x = 1;
              return manager.commit(session);
            })
            .then(
              () => null,
              (error: unknown) => error,
            );
          expect(request, redis).toMatchObject({ code, status: 503 });
        }
      } finally {
        await manager.close();
      }
    }
  });

  it("is ready on a server it can use, with a password that has / @ and : in it", async () => {
    const { manager } = managerFor(url(`app:${encoded}`));
    try {
      await expect(manager.ready()).resolves.toBeUndefined();
      const session = await manager.load({ cookieHeader: undefined, secure: false });
      (session as unknown as Record<string, unknown>).user = "ann";
      expect(await manager.commit(session)).toMatch(/^sid=/);
    } finally {
      await manager.close();
    }
  });

  it("logs a cause once a minute however often it recurs, and hands every diagnostic to onDiagnostic", async () => {
    const { manager, lines, diagnostics } = managerFor(url("app:wrong-password"));
    try {
      for (let i = 0; i < 5; i++) await manager.ready().catch(() => {});
      const connectionErrors = diagnostics.filter((d) => d.code === "SESSION_REDIS_CONNECTION_ERROR");
      expect(connectionErrors.length).toBeGreaterThan(3);
      expect(connectionErrors[0]?.message).toMatch(/WRONGPASS/);
      const logged = lines.filter((line) => line.includes("SESSION_REDIS_CONNECTION_ERROR"));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/^\[sessionkit\] SESSION_REDIS_CONNECTION_ERROR: WRONGPASS/);
    } finally {
      await manager.close();
    }
  });

  it("names out of memory as such", async () => {
    const { manager } = managerFor(url(`app:${encoded}`));
    const admin = new Redis({ port: server.port, host: "127.0.0.1", username: "app", password });
    try {
      await manager.ready();
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await admin.config("SET", "maxmemory", "1");
      const session = await manager.load({ cookieHeader: undefined, secure: false });
      (session as unknown as Record<string, unknown>).user = "ann";
      await expect(manager.commit(session)).rejects.toMatchObject({
        code: "SESSION_STORE_OUT_OF_MEMORY",
        message: expect.stringMatching(/out of memory/),
      });
    } finally {
      await admin.config("SET", "maxmemory", "0");
      admin.disconnect();
      await manager.close();
    }
  });
});
