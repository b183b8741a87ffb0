import path from "node:path";
import { build } from "esbuild";
import { PROJECT_ROOT } from "./build.js";

/**
 * The `sessionkit` CLI bundled from src/ (esbuild; packages stay external) into node_modules/.cache/<name>,
 * for the benches that run it as a process the way a user would. Returns the entry to run with node.
 */
export async function bundleCli(name: string): Promise<string> {
  const outfile = path.join(PROJECT_ROOT, "node_modules/.cache", name, "main.mjs");
  await build({
    entryPoints: [path.join(PROJECT_ROOT, "src/cli/main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile,
    logLevel: "silent",
  });
  return outfile;
}
