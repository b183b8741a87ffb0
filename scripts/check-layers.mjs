// Fails when a module imports a higher layer (DESIGN.md section 2: dependencies point one way).
// Layers of src/, lowest first; a folder may import its own folder and any lower layer, nothing above.
// Also: src/ imports nothing outside src/, and neither bench/ nor tools/ import test/.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const LAYERS = [
  ["common"],
  ["codecs"],
  ["store"],
  ["session"],
  ["redis"],
  // interop: foreign sessions (Rails, Django) over the connection handling of redis/.
  ["events", "principals", "interop"],
  ["create-session-manager.ts"],
  // admin is what the CLI, the dashboard and the metrics read sessions through (DESIGN rule 20).
  ["admin"],
  ["adapters", "compat", "migrate", "cli", "dashboard", "metrics"],
  ["index.ts"],
];
const rankOf = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank])));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === "node_modules" || entry.name === "results" ? [] : files(full);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [full] : [];
  });
}

function importsOf(file) {
  const text = readFileSync(file, "utf8");
  const found = [];
  // `export type {} from "../../index.js"` names nothing and emits no JavaScript: it only makes a
  // subpath's declarations load the root entry's, so that `declare module "sessionkit"` augments it.
  const withoutTypeAnchors = text.replace(/(?:^|\n)\s*export type \{\s*\} from\s*["'][^"']+["'];?/g, "\n");
  for (const match of withoutTypeAnchors.matchAll(
    /(?:^|\n)\s*(?:import|export)[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
  )) {
    const spec = match[1] ?? match[2];
    if (spec.startsWith(".")) found.push(path.resolve(path.dirname(file), spec));
  }
  return found;
}

/** The layer unit of a path inside src/: its first segment (a folder, or a top-level file). */
function unitOf(file) {
  return path.relative(path.join(root, "src"), file).split(path.sep)[0].replace(/\.js$/, ".ts");
}

const problems = [];
const src = path.join(root, "src");
for (const file of files(src)) {
  const from = unitOf(file);
  const fromRank = rankOf.get(from);
  if (fromRank === undefined) {
    problems.push(
      `${path.relative(root, file)}: src/${from} is in no layer (add it to scripts/check-layers.mjs)`,
    );
    continue;
  }
  for (const target of importsOf(file)) {
    if (!target.startsWith(src + path.sep)) {
      problems.push(`${path.relative(root, file)} imports ${path.relative(root, target)}, outside src/`);
      continue;
    }
    const to = unitOf(target);
    const toRank = rankOf.get(to);
    if (to !== from && (toRank === undefined || toRank >= fromRank)) {
      problems.push(
        `${path.relative(root, file)} (${from}, layer ${fromRank}) imports ${to} (layer ${toRank})`,
      );
    }
  }
}
for (const dir of ["bench", "tools"]) {
  for (const file of files(path.join(root, dir))) {
    for (const target of importsOf(file)) {
      if (target.startsWith(path.join(root, "test") + path.sep))
        problems.push(
          `${path.relative(root, file)} imports ${path.relative(root, target)}: test/ is for tests only`,
        );
    }
  }
}
if (problems.length > 0) {
  console.error(
    `Import direction check: ${problems.length} import(s) against the layers\n${problems.join("\n")}`,
  );
  process.exit(1);
}
console.log(`Import direction check: ok (${LAYERS.map((names) => names.join("|")).join(" <- ")})`);
