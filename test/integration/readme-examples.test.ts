import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { findFreePort } from "../../tools/redis-harness/redis-server.js";

/**
 * The README as a new user meets it: every TypeScript code block is typechecked strictly against the
 * packed tarball (what `npm install sessionkit` gives, not src/), as an ES module, as CommonJS with
 * module/moduleResolution nodenext and as CommonJS with node10 resolution (the typesVersions fallback the
 * README promises), each block on its own, as a file of its own would be
 * (an augmentation in one block must not hide a missing one in another). Blocks tagged `run` (the
 * framework examples) are then started with node against Redis, and a login, a read and a logout are
 * made over HTTP.
 *
 * Fence info after the language, invisible on GitHub: `run` (start it), `no-check` (a fragment or an
 * output, not a program: keep these few), `esm-only` (top-level await: not a CommonJS program).
 * Blocks in other languages (sh, text) are not checked.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHECKED_LANGUAGES = new Set(["ts", "typescript"]);
const FLAGS = new Set(["run", "no-check", "esm-only"]);

interface Block {
  /** 1-based README line of the block's first code line. */
  line: number;
  flags: Set<string>;
  code: string;
  name: string;
}

function readmeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const open = /^(`{3,}|~{3,})\s*(\S*)\s*(.*)$/.exec(lines[index] as string);
    if (!open) continue;
    const fence = open[1] as string;
    const language = (open[2] as string).toLowerCase();
    const flags = new Set((open[3] as string).split(/\s+/).filter(Boolean));
    const start = index + 1;
    let end = start;
    while (end < lines.length && !(lines[end] as string).startsWith(fence)) end++;
    index = end;
    if (!CHECKED_LANGUAGES.has(language)) continue;
    for (const flag of flags) {
      if (!FLAGS.has(flag)) throw new Error(`README.md:${start}: unknown code block flag "${flag}"`);
    }
    if (flags.has("no-check")) continue;
    blocks.push({
      line: start + 1,
      flags,
      code: lines.slice(start, end).join("\n"),
      name: `block-${start + 1}`,
    });
  }
  return blocks;
}

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const blocks = readmeBlocks(readme);
const work = mkdtempSync(path.join(tmpdir(), "sessionkit-readme-"));

/** Parsed lib and node_modules files, shared by the programs (one per block and module kind). */
const parsed = new Map<string, ts.SourceFile>();

/**
 * One program for `file`. Declarations of other packages are not checked (skipLibCheck, as most apps
 * compile: @types/koa and hono's websocket helper do not typecheck on their own), except sessionkit's
 * own, which `libCheck` checks. `node10`: a CommonJS project on TypeScript's old resolution, which
 * finds subpaths through the package's typesVersions.
 */
function typecheck(
  dir: string,
  block: Block,
  libCheck = false,
  resolution: "nodenext" | "node10" = "nodenext",
): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    module: resolution === "node10" ? ts.ModuleKind.CommonJS : ts.ModuleKind.NodeNext,
    moduleResolution:
      resolution === "node10" ? ts.ModuleResolutionKind.Node10 : ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts"],
    types: ["node"],
    esModuleInterop: true,
    noEmit: true,
    skipLibCheck: !libCheck,
  };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, version, onError, shouldCreate) => {
    if (!fileName.includes(`${path.sep}node_modules${path.sep}`) && !fileName.includes("/typescript/lib/"))
      return read(fileName, version, onError, shouldCreate);
    const key = `${fileName}|${typeof version === "object" ? `${version.languageVersion}:${version.impliedNodeFormat}` : version}`;
    let file = parsed.get(key);
    if (!file) {
      file = read(fileName, version, onError, shouldCreate);
      if (file) parsed.set(key, file);
    }
    return file;
  };
  const file = path.join(dir, `${block.name}.ts`);
  const program = ts.createProgram([file], options, host);
  const ours = `${path.sep}node_modules${path.sep}sessionkit${path.sep}`;
  const reported = ts
    .getPreEmitDiagnostics(program)
    .filter(
      (diagnostic) =>
        !diagnostic.file || diagnostic.file.fileName === file || diagnostic.file.fileName.includes(ours),
    );
  return reported.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    if (!diagnostic.file || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const where =
      diagnostic.file.fileName === file
        ? `README.md:${block.line + line}`
        : `${path.relative(work, diagnostic.file.fileName)}:${line + 1}`;
    return `${where} (${path.basename(dir)}, ${resolution}): TS${diagnostic.code}: ${message}`;
  });
}

beforeAll(() => {
  // The tarball, as `npm pack` makes it (prepack builds dist/ from a clean slate).
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as { filename: string }[];
  const modules = path.join(work, "node_modules");
  const installed = path.join(modules, "sessionkit");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", [
    "-xzf",
    path.join(work, packed?.filename ?? ""),
    "-C",
    installed,
    "--strip-components=1",
  ]);
  // Everything else (frameworks, clients, @types, sessionkit's own dependencies) from the repository's
  // node_modules, linked instead of installed: no registry, no network, seconds instead of minutes.
  for (const entry of readdirSync(path.join(ROOT, "node_modules"))) {
    if (entry.startsWith(".") || entry === "sessionkit") continue;
    symlinkSync(path.join(ROOT, "node_modules", entry), path.join(modules, entry));
  }
  for (const [dir, type] of [
    ["esm", "module"],
    ["cjs", "commonjs"],
  ] as const) {
    mkdirSync(path.join(work, dir));
    writeFileSync(path.join(work, dir, "package.json"), JSON.stringify({ type, private: true }));
    for (const block of blocks) writeFileSync(path.join(work, dir, `${block.name}.ts`), block.code);
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("README.md code blocks", () => {
  it("has the framework examples and few exceptions", () => {
    expect(blocks.filter((block) => block.flags.has("run")).length).toBeGreaterThanOrEqual(5);
    const skipped = [...readme.matchAll(/^```(?:ts|typescript)\s.*no-check/gm)].length;
    expect(skipped).toBeLessThanOrEqual(4);
  });

  it("the packed declarations typecheck (skipLibCheck off)", () => {
    const entries = Object.keys(
      JSON.parse(readFileSync(path.join(work, "node_modules/sessionkit/package.json"), "utf8")).exports,
    ).filter((entry) => !entry.endsWith(".json"));
    const block: Block = {
      line: 0,
      flags: new Set(),
      name: "entry-points",
      code: entries.map((entry) => `import "${path.posix.join("sessionkit", entry)}";`).join("\n"),
    };
    // From the ES module app only: a require() resolves the same declaration files.
    writeFileSync(path.join(work, "esm", `${block.name}.ts`), block.code);
    const problems = typecheck(path.join(work, "esm"), block, true);
    expect(problems).toEqual([]);
  }, 120_000);

  it("every TypeScript block typechecks strictly against the packed package, as an ES module", () => {
    const problems = blocks.flatMap((block) => typecheck(path.join(work, "esm"), block));
    expect(problems).toEqual([]);
  }, 120_000);

  it("every TypeScript block typechecks as CommonJS (module and moduleResolution nodenext)", () => {
    const problems = blocks
      .filter((block) => !block.flags.has("esm-only"))
      .flatMap((block) => typecheck(path.join(work, "cjs"), block));
    expect(problems).toEqual([]);
  }, 120_000);

  it("every TypeScript block typechecks as CommonJS with moduleResolution node10 (typesVersions)", () => {
    const problems = blocks
      .filter((block) => !block.flags.has("esm-only"))
      .flatMap((block) => typecheck(path.join(work, "cjs"), block, false, "node10"));
    expect(problems).toEqual([]);
  }, 120_000);

  const runnable = blocks.filter((block) => block.flags.has("run"));
  it.each(runnable.map((block) => [exampleName(block), block] as const))(
    "%s example runs against Redis: login, read, logout",
    async (_name, block) => {
      const file = path.join(work, "esm", `${block.name}.js`);
      const { outputText } = ts.transpileModule(block.code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(file, outputText);
      const port = await findFreePort();
      const app = await startApp(file, port);
      try {
        const client = new CookieClient(`http://127.0.0.1:${port}`);
        expect(await client.text("GET", "/")).toMatch(/anonymous/);
        const login = await client.request("POST", "/login");
        expect(login.status).toBeLessThan(400);
        expect(client.cookie).toBeDefined();
        expect(await client.text("GET", "/")).toMatch(/\b42\b/);
        const logout = await client.request("POST", "/logout");
        expect(logout.status).toBeLessThan(400);
        expect(await client.text("GET", "/")).toMatch(/anonymous/);
      } finally {
        await stop(app);
      }
    },
    30_000,
  );
});

/** "Express", "node:http"...: the heading above the block. */
function exampleName(block: Block): string {
  const before = readme.split("\n").slice(0, block.line - 1);
  const heading = before.reverse().find((line) => line.startsWith("#"));
  return heading?.replace(/^#+\s*/, "") ?? block.name;
}

async function startApp(file: string, port: number): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    REDIS_URL: inject("redis").standalone.url,
    SESSION_KEY: "a-test-only-secret-of-at-least-32-characters",
  };
  // The Express example lists it for rotation; a new app has none, and must start without it.
  delete env.OLD_SESSION_KEY;
  const app = spawn(process.execPath, [file], {
    cwd: path.dirname(file),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  app.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  app.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`the example exited with ${app.exitCode}:\n${output}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return app;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop(app);
  throw new Error(`the example did not listen on ${port} within 15 s:\n${output}`);
}

function stop(app: ChildProcess): Promise<void> {
  if (app.exitCode !== null || app.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    app.once("exit", () => resolve());
    app.kill("SIGTERM");
  });
}

/** A browser's part: keeps the session cookie it is given, sends it back, follows no redirect. */
class CookieClient {
  cookie: string | undefined;
  constructor(private readonly origin: string) {}

  async request(method: string, pathname: string): Promise<Response> {
    const response = await fetch(this.origin + pathname, {
      method,
      redirect: "manual",
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    for (const header of response.headers.getSetCookie()) {
      const pair = header.split(";")[0] as string;
      const cleared = /max-age=0|expires=thu, 01 jan 1970/i.test(header);
      this.cookie = cleared ? undefined : pair;
    }
    return response;
  }

  async text(method: string, pathname: string): Promise<string> {
    const response = await this.request(method, pathname);
    expect(response.status).toBe(200);
    return response.text();
  }
}
