import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { testNamespace } from "../support/browser.js";

const run = promisify(execFile);

/** The probe app in a process where `hidden` packages are not installed. */
async function probe(hidden: string[]) {
  const { standalone } = inject("redis");
  const { stdout } = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      "./test/support/hide-packages.mjs",
      "test/support/client-package-probe.ts",
      standalone.url,
      testNamespace("client-packages"),
    ],
    { env: { ...process.env, HIDE_PACKAGES: hidden.join(",") }, timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) as string) as {
    ready: string;
    status: number;
    body: string;
    logged: string[];
  };
}

describe("the client package behind a Redis URL", () => {
  it("without ioredis, iovalkey (the ioredis fork for Valkey) serves", async () => {
    const outcome = await probe(["ioredis"]);
    expect(outcome).toMatchObject({ ready: "ok", status: 200 });
  });

  it("with neither installed: ready() and every request say npm install ioredis (503), and the log says it", async () => {
    const outcome = await probe(["ioredis", "iovalkey"]);
    expect(outcome.ready).toMatch(
      /a Redis URL needs the ioredis package \(or iovalkey\): npm install ioredis/,
    );
    expect(outcome.status).toBe(503);
    expect(outcome.body).not.toMatch(/at .*\.ts/);
    expect(outcome.logged.join("\n")).toMatch(/npm install ioredis/);
  });
});
