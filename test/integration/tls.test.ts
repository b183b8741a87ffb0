import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessionManager } from "../../src/create-session-manager.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import {
  createTempDir,
  findFreePort,
  type RedisServerHandle,
  removeTempDir,
  startRedisServer,
} from "../../tools/redis-harness/redis-server.js";
import { TEST_SECRET, testNamespace } from "../support/browser.js";

/**
 * A real TLS redis-server (Debian's is built with TLS) with a private CA and a certificate for the name
 * "redis.internal" only, made here with openssl: what a managed Redis with in-transit encryption looks
 * like to an app, and the ways to get it wrong.
 */
describe("TLS", () => {
  let dir: string;
  let server: RedisServerHandle;
  let tlsPort: number;
  let ca: string;
  beforeAll(async () => {
    dir = await createTempDir();
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=test-ca",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    );
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=redis.internal",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
    );
    const ext = path.join(dir, "san.ext");
    execFileSync("sh", ["-c", `printf 'subjectAltName=DNS:redis.internal\\n' > ${ext}`]);
    openssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      ext,
      "-out",
      "server.crt",
    );
    ca = readFileSync(path.join(dir, "ca.crt"), "utf8");
    tlsPort = await findFreePort();
    server = await startRedisServer({
      name: "tls",
      args: [
        "--tls-port",
        String(tlsPort),
        "--tls-cert-file",
        path.join(dir, "server.crt"),
        "--tls-key-file",
        path.join(dir, "server.key"),
        "--tls-ca-cert-file",
        path.join(dir, "ca.crt"),
        "--tls-auth-clients",
        "no",
      ],
    });
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  async function attempt(redis: string, tls?: object): Promise<{ manager: SessionManager; error: unknown }> {
    const manager = createSessionManager({
      redis,
      secret: TEST_SECRET,
      namespace: testNamespace("tls"),
      commandTimeout: 500,
      logger: false,
      ...(tls ? { tls } : {}),
    });
    const error = await manager.ready().then(
      () => null,
      (e: unknown) => e,
    );
    return { manager, error };
  }

  it("serves sessions over TLS with the private CA and the certificate's name", async () => {
    const { manager, error } = await attempt(`rediss://127.0.0.1:${tlsPort}`, {
      ca,
      servername: "redis.internal",
    });
    try {
      expect(error).toBeNull();
      const session = await manager.load({ cookieHeader: undefined, secure: true });
      (session as unknown as Record<string, unknown>).user = "ann";
      const cookie = ((await manager.commit(session)) as string | undefined)?.split(";")[0];
      const again = (await manager.load({ cookieHeader: cookie, secure: true })) as unknown as {
        user?: string;
      };
      expect(again.user).toBe("ann");
    } finally {
      await manager.close();
    }
  });

  it("names the TLS failure: no CA, a name the certificate does not carry", async () => {
    for (const [redis, tls, why] of [
      [
        `rediss://127.0.0.1:${tlsPort}`,
        { servername: "redis.internal" },
        /self[- ]signed|unable to (get|verify)/i,
      ],
      [`rediss://127.0.0.1:${tlsPort}`, { ca }, /altnames|does not match|not in the cert|Hostname\/IP/i],
    ] as const) {
      const { manager, error } = await attempt(redis, tls);
      try {
        expect(error, `${redis} ${JSON.stringify(Object.keys(tls))}`).toMatchObject({
          code: "SESSION_STORE_TLS",
          message: expect.stringMatching(why),
        });
      } finally {
        await manager.close();
      }
    }
  });

  it("says what to check when rediss:// meets a plain port (the handshake never completes)", async () => {
    const { manager, error } = await attempt(`rediss://127.0.0.1:${server.port}`, {
      ca,
      servername: "redis.internal",
    });
    await manager.close();
    expect(error).toMatchObject({
      code: "SESSION_STORE_UNREACHABLE",
      message: expect.stringMatching(/TLS port/),
    });
  });

  it("refuses tls options with a plain redis:// URL", async () => {
    const { manager, error } = await attempt(`redis://127.0.0.1:${tlsPort}`, { ca });
    await manager.close();
    expect(error).toMatchObject({
      code: "SESSION_CONFIG_INVALID",
      message: expect.stringMatching(/rediss:\/\//),
    });
  });
});
