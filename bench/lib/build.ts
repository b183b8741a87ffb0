/**
 * The bench measures sessionkit as users run it: compiled by tsc (as `npm run build` does), not through
 * tsx, whose esbuild transform adds a `__name()` call to every closure created on the hot path.
 * Compiled into node_modules/.cache (so its imports resolve, and neither git nor Biome sees it); the apps
 * load it from there (the directory is passed on in SESSIONKIT_BENCH_BUILD), typed against src/.
 *
 * By default the working tree is compiled; `--ref <git ref>` compiles that commit's src/ instead
 * (git archive), for a before/after comparison of a change.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CACHE_DIR = path.join(PROJECT_ROOT, "node_modules/.cache");
const BUILD_ENV = "SESSIONKIT_BENCH_BUILD";

function buildDir(): string {
  return process.env[BUILD_ENV] ?? path.join(CACHE_DIR, "sessionkit-bench");
}

/** Compiles sessionkit (the working tree, or `ref`) and returns where; the apps started later use it. */
export function buildSessionkit(ref?: string): string {
  const tsc = path.join(PROJECT_ROOT, "node_modules/typescript/bin/tsc");
  let projectDir = PROJECT_ROOT;
  let outDir = path.join(CACHE_DIR, "sessionkit-bench");
  if (ref !== undefined) {
    const safe = ref.replace(/[^A-Za-z0-9._-]/g, "_");
    projectDir = path.join(CACHE_DIR, `sessionkit-bench-src-${safe}`);
    outDir = path.join(CACHE_DIR, `sessionkit-bench-${safe}`);
    rmSync(projectDir, { recursive: true, force: true });
    mkdirSync(projectDir, { recursive: true });
    const archive = execFileSync("git", ["archive", ref, "src", "tsconfig.json", "tsconfig.build.json"], {
      cwd: PROJECT_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", projectDir], { input: archive });
  }
  execFileSync(
    process.execPath,
    [tsc, "-p", "tsconfig.build.json", "--outDir", outDir, "--declaration", "false", "--sourceMap", "false"],
    { cwd: projectDir, stdio: "inherit" },
  );
  process.env[BUILD_ENV] = outDir;
  return outDir;
}

/** The compiled module of `src/<relative>.ts`, e.g. builtModule("adapters/express/index"). */
export async function builtModule<T>(relative: string): Promise<T> {
  const file = path.join(buildDir(), `${relative}.js`);
  if (!existsSync(file))
    throw new Error(`${file} is missing: run the bench through bench/run.ts (it builds first)`);
  return (await import(file)) as T;
}
