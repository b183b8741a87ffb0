import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const FIXTURE = "test/types/express-session-coexistence";

/** tsc's errors located in the fixture's own files (its imports of src/ are checked elsewhere). */
async function fixtureErrors(tsconfig: string): Promise<string[]> {
  const output = await run(
    process.execPath,
    ["node_modules/typescript/bin/tsc", "-p", `${FIXTURE}/${tsconfig}`],
    {
      timeout: 120_000,
    },
  ).then(
    (result) => result.stdout,
    (error: { stdout?: string }) => error.stdout ?? "",
  );
  return output.split("\n").filter((line) => line.startsWith(`${FIXTURE}/app`));
}

/**
 * An app mid-migration keeps @types/express-session and imports express-session in a file before
 * sessionkit/express: TypeScript then types req.session as express-session's. The declarations in
 * types/express-session-types.d.ts make sessionkit's forms compile anyway.
 */
describe("@types/express-session installed beside sessionkit/express", () => {
  it("without sessionkit/express-session-types, await req.session.regenerate() is TS2554 (the problem)", async () => {
    const errors = await fixtureErrors("tsconfig.without-fix.json");
    expect(errors.join("\n")).toMatch(/TS2554/);
  });

  it("with it, the app compiles", async () => {
    expect(await fixtureErrors("tsconfig.json")).toEqual([]);
  });
});
