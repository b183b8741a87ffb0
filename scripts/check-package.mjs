// Checks what `npm pack` ships, from a clean clone: the tarball is built by the prepack script, so a
// package published without a build (README and package.json only) fails here, not on a user's machine.
// One `npm pack --json` (the listing `--dry-run --json` prints, plus the tarball itself), then:
// - contents: every entry point present, LICENSE/README/CHANGELOG present, no tests, sources or bench,
//   and no source map or sourceMappingURL that points at a file the package does not ship;
// - publint and are-the-types-wrong (attw) on that same tarball (what `attw --pack` would pack).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const bin = (name) => path.join(root, "node_modules/.bin", name);
const work = mkdtempSync(path.join(tmpdir(), "sessionkit-pack-"));
const problems = [];

try {
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  const tarball = path.join(work, packed.filename);
  const shipped = new Set(packed.files.map((file) => file.path));
  const unpacked = path.join(work, "unpacked");
  mkdirSync(unpacked);
  execFileSync("tar", ["-xzf", tarball, "-C", unpacked, "--strip-components=1"]);

  // Entry points: exports (every condition), main, types, typesVersions and bin.
  const manifest = JSON.parse(readFileSync(path.join(unpacked, "package.json"), "utf8"));
  const targets = new Set();
  const collect = (value) => {
    if (typeof value === "string") targets.add(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(manifest.exports);
  collect(manifest.main);
  collect(manifest.types);
  collect(manifest.bin);
  for (const map of Object.values(manifest.typesVersions ?? {})) collect(map);
  for (const target of targets) {
    const file = path.posix.normalize(target.replace(/^\.\//, ""));
    if (file.includes("*")) continue;
    if (!shipped.has(file)) problems.push(`entry point ${target} is not in the package`);
  }
  for (const file of ["package.json", "README.md", "LICENSE", "CHANGELOG.md"]) {
    if (!shipped.has(file)) problems.push(`${file} is not in the package`);
  }
  if (![...shipped].some((file) => file.startsWith("dist/") && file.endsWith(".js")))
    problems.push("no dist/**/*.js in the package: was it built?");

  for (const file of shipped) {
    if (/(^|\/)(test|tests|__tests__|fixtures)\//.test(file) || /\.(test|spec)\.[cm]?[jt]s$/.test(file))
      problems.push(`${file}: a test in the package`);
    if (/^(src|bench|tools|demo|scripts|examples|\.ci)\//.test(file))
      problems.push(`${file}: not meant to be shipped`);
    if (file.endsWith(".tsbuildinfo")) problems.push(`${file}: a build cache in the package`);

    if (/\.(c|m)?js$|\.d\.(c|m)?ts$/.test(file)) {
      const text = readFileSync(path.join(unpacked, file), "utf8");
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
      if (url && !url.startsWith("data:")) {
        const mapFile = path.posix.join(path.posix.dirname(file), url);
        if (!shipped.has(mapFile)) problems.push(`${file} points at ${mapFile}, which is not shipped`);
      }
    }
    if (file.endsWith(".map")) {
      const map = JSON.parse(readFileSync(path.join(unpacked, file), "utf8"));
      map.sources.forEach((source, index) => {
        const target = path.posix.join(path.posix.dirname(file), map.sourceRoot ?? "", source);
        if (!shipped.has(target) && typeof map.sourcesContent?.[index] !== "string")
          problems.push(`${file} maps to ${target}, which is neither shipped nor inlined`);
      });
    }
  }

  const run = (command, args) => {
    try {
      execFileSync(command, args, { cwd: root, stdio: "inherit" });
    } catch {
      problems.push(`${path.basename(command)} ${args.join(" ")} failed (output above)`);
    }
  };
  run(bin("publint"), ["run", tarball, "--strict"]);
  // The package is ESM only. A CommonJS consumer loads it with require() on Node 20.19+ (require(esm),
  // within engines) and types it with module "nodenext" (TypeScript 5.8+) or moduleResolution "node10"
  // (typesVersions); attw models TypeScript's older node16 rule, under which require() of ESM is an
  // error, and so flags every entry with cjs-resolves-to-esm. README, "CommonJS" says what works.
  run(bin("attw"), [tarball, "--ignore-rules", "cjs-resolves-to-esm", "--format", "table-flipped"]);

  const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
  console.log(
    `package: ${packed.filename}, ${kB(packed.size)} packed, ${kB(packed.unpackedSize)} unpacked, ${packed.entryCount} files`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`Package check: ${problems.length} problem(s)\n${problems.join("\n")}`);
  process.exit(1);
}
console.log("Package check: ok");
