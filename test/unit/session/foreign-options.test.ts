import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../src/common/diagnostics.js";
import { SessionConfigError } from "../../../src/common/errors.js";
import { createSessionManager, type SessionOptions } from "../../../src/create-session-manager.js";
import { createMemoryStore } from "../../../src/store/memory-store.js";
import { TEST_SECRET } from "../../support/browser.js";

/** The diagnostics and log lines of a manager built from `options` (as JavaScript could pass them). */
function build(options: Record<string, unknown>) {
  const diagnostics: Diagnostic[] = [];
  const logged: string[] = [];
  createSessionManager({
    store: createMemoryStore(),
    secret: TEST_SECRET,
    onDiagnostic: (diagnostic) => diagnostics.push(diagnostic),
    logger: { warn: (line) => logged.push(line), error: (line) => logged.push(line) },
    ...options,
  } as SessionOptions);
  return { warnings: diagnostics.filter((d) => d.code === "SESSION_CONFIG_WARNING"), logged };
}

describe("options sessionkit does not take", () => {
  it("express-session's options give one warning naming each and its sessionkit equivalent, logged", () => {
    const { warnings, logged } = build({
      name: "app.sid",
      resave: false,
      genid: () => "x",
      proxy: true,
      unset: "destroy",
      cookie: { maxAge: 60_000, secure: true },
    });
    expect(warnings).toHaveLength(1);
    const message = warnings[0]?.message ?? "";
    expect(message).toContain('name: the cookie name is cookie: { name: "..." }');
    expect(message).toContain("resave: not needed");
    expect(message).toContain("genid:");
    expect(message).toContain('proxy: Express decides what is TLS: app.set("trust proxy"');
    expect(message).toContain("unset:");
    expect(message).toContain("cookie.maxAge: the lifetime is idleTimeout");
    expect(message).not.toContain("cookie.secure:");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain("SESSION_CONFIG_WARNING");
  });

  it("a typo is named as one", () => {
    const { warnings } = build({ idleTimout: "1h", cookie: { sameSites: "lax" } });
    expect(warnings[0]?.message).toBe(
      "options ignored: idleTimout: not a sessionkit option (a typo?); cookie.sameSites: not a sessionkit cookie option (a typo?)",
    );
  });

  it("sessionkit's own options give no warning", () => {
    const { warnings } = build({
      idleTimeout: "1h",
      absoluteTimeout: "7d",
      touchAfter: "1m",
      rolling: true,
      saveUninitialized: false,
      namespace: "app",
      keyPrefix: "sk",
      cookie: {
        name: "app.sid",
        path: "/",
        secure: "auto",
        httpOnly: true,
        sameSite: "lax",
        persistent: true,
      },
    });
    expect(warnings).toEqual([]);
  });

  it("an express-session store (connect-redis) as store is refused with what to do", () => {
    expect(() => build({ store: { get() {}, set() {}, destroy() {} } })).toThrow(SessionConfigError);
    expect(() => build({ store: { get() {}, set() {}, destroy() {} } })).toThrow(/for Redis pass redis: url/);
  });
});

describe("secret lists", () => {
  const build2 = (secret: unknown) => () =>
    createSessionManager({ store: createMemoryStore(), secret: secret as string, logger: false });

  it("skip undefined or empty entries after the first: [KEY, process.env.OLD_KEY] works without OLD_KEY", () => {
    expect(build2([TEST_SECRET, undefined])).not.toThrow();
    expect(build2([TEST_SECRET, ""])).not.toThrow();
  });

  it("say which entry is wrong: a missing first secret, a short one", () => {
    expect(build2([undefined, TEST_SECRET])).toThrow(
      /secret\[0\] is undefined: the first secret signs every cookie/,
    );
    expect(build2(undefined)).toThrow(/secret is required/);
    expect(build2([TEST_SECRET, "short"])).toThrow(/secret\[1\] must be a string of at least 32 characters/);
  });
});
