import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { testNamespace } from "../support/browser.js";

const { standalone } = inject("redis");

// Rule 6: a heap snapshot of an app must not hold working cookies. Caches that outlive a request (the
// verified-cookie cache, the shared accessors of long attributes) keep copies, never slices: a V8 slice
// keeps its whole parent string alive (the Cookie header, the Redis reply). See core/unshared-copy.ts.
describe("what a process keeps after serving a session", () => {
  it("holds neither the session cookie, nor the request's Cookie header, nor the session's data", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "test/support/retention-probe.ts", standalone.url, testNamespace("retention")],
      { timeout: 60_000 },
    );
    expect(JSON.parse(stdout.trim().split("\n").pop() ?? "{}")).toEqual({
      sessionCookie: false,
      cookieHeader: false,
      sessionData: false,
    });
  }, 90_000);
});
