/**
 * Summarises V8 CPU profiles (`--cpu-prof`): self time by function and by where the code lives
 * (a sessionkit source file, a package, Node internals, GC), so the hot path can be read without DevTools.
 * Also a CLI: `tsx bench/lib/profile-summary.ts <dir-or-file>...`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** The bench runs sessionkit compiled into node_modules/.cache/sessionkit-bench/ (bench/lib/build.ts). */
function sourceUrl(url: string): string {
  return url.replace(/node_modules\/\.cache\/sessionkit-bench\//, "src/");
}

function ownerOf(rawUrl: string): string {
  const url = sourceUrl(rawUrl);
  if (url === "") return "(native / VM)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const src = /\/(src|bench|test)\/(.+)$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  if (url.startsWith("node:")) return "node (internals)";
  return url;
}

function shortUrl(rawUrl: string): string {
  const url = sourceUrl(rawUrl);
  const pkg = /node_modules\/(.+)$/.exec(url);
  if (pkg) return pkg[1] as string;
  const src = /\/((?:src|bench|test)\/.+)$/.exec(url);
  return src ? (src[1] as string) : url;
}

export function summarizeProfile(file: string, top = 30): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const totalUs = profile.endTime - profile.startTime;
  const samples = profile.samples?.length ?? 0;
  const usPerSample = samples > 0 ? totalUs / samples : 0;
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") continue;
    busy += hits;
    const name = `${functionName || "(anonymous)"} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ""}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const owner = functionName.startsWith("(") ? functionName : ownerOf(url);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + hits);
  }
  // Inclusive ("total") time of sessionkit's own functions: self time plus everything they called.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  const visit = (node: ProfileNode, onStack: Set<string>): number => {
    let hits = node.callFrame.functionName === "(idle)" ? 0 : (node.hitCount ?? 0);
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ""}`.trim();
    const ours = /\/src\//.test(sourceUrl(url)) && !onStack.has(name);
    if (ours) onStack.add(name);
    for (const child of node.children ?? []) {
      const c = byId.get(child);
      if (c) hits += visit(c, onStack);
    }
    if (ours) {
      onStack.delete(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
    }
    return hits;
  };
  const root = profile.nodes[0];
  if (root) visit(root, new Set());
  const pct = (hits: number) => ((hits / Math.max(1, busy)) * 100).toFixed(1);
  const lines = [
    `## ${path.basename(path.dirname(file))}/${path.basename(file)}`,
    "",
    `${(totalUs / 1e6).toFixed(1)} s profiled, ${((busy * usPerSample) / 1e6).toFixed(1)} s busy (not idle); shares below are of busy time.`,
    "",
    "| where | self % |",
    "| --- | ---: |",
  ];
  for (const [owner, hits] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 20))
    lines.push(`| ${owner} | ${pct(hits)} |`);
  lines.push("", "| function | self % |", "| --- | ---: |");
  for (const [name, hits] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`| \`${name}\` | ${pct(hits)} |`);
  lines.push("", "| sessionkit function (src/) | total % (self + callees) |", "| --- | ---: |");
  for (const [name, hits] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`| \`${name}\` | ${pct(hits)} |`);
  return `${lines.join("\n")}\n`;
}

/**
 * A file, or a directory of them; in a directory with one folder per app, each folder's largest profile
 * (the main thread: tsx's loader thread writes a small one beside it).
 */
export function summarizeProfiles(target: string): string {
  const files: string[] = [];
  const collect = (dir: string, label?: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const profiles = entries
      .filter((e) => e.isFile() && e.name.endsWith(".cpuprofile"))
      .map((e) => path.join(dir, e.name));
    if (label !== undefined && profiles.length > 0) {
      files.push(profiles.sort((a, b) => statSync(b).size - statSync(a).size)[0] as string);
    } else files.push(...profiles.sort());
    for (const e of entries) if (e.isDirectory()) collect(path.join(dir, e.name), e.name);
  };
  if (statSync(target).isDirectory()) collect(target);
  else files.push(target);
  return `# CPU profiles\n\n${files.map((f) => summarizeProfile(f)).join("\n")}`;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const target of process.argv.slice(2)) console.log(summarizeProfiles(target));
}
