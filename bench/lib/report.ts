/** The results file's shape, its markdown tables and the SVG chart of the ratios (no chart library). */
import {
  type Framework,
  type Layer,
  ROUTE_REQUEST,
  type Route,
  type Variant,
  type VariantInfo,
} from "../apps/variants.js";
import type { MemoryCase } from "./memory.js";

export interface CellResult {
  variant: Variant;
  framework: Framework;
  layer: Layer;
  label: string;
  route: Route;
  /** Median over rounds. */
  rps: number;
  rpsMin: number;
  rpsMax: number;
  rpsSpreadPct: number;
  p50Ms: number;
  p99Ms: number;
  p99MsMax: number;
  /** Median of the per-round ratios to the same framework's ceiling in the same round. */
  ratioToCeiling: number;
  ratioToCeilingMin: number;
  ratioToCeilingMax: number;
  /** sessionkit only: median per-round ratio to connect-redis on the same framework and route. */
  ratioToConnectRedis: number | null;
  /**
   * A variant with a base (VariantInfo.base): median per-round ratio of its req/s to the base's, and of
   * the base's app CPU per request to its own (1.0: costs nothing; 0.97: 3 % more CPU per request).
   */
  ratioToBase?: number | null;
  cpuRatioToBase?: number | null;
  /** Commands sent by the app per request (round trips; an EVALSHA counts 1). */
  redisCommandsPerRequest: number;
  /** Every command Redis executed per request (INFO commandstats), commands inside scripts included. */
  redisCommandsPerRequestRaw: number;
  redisCommandsSent: Record<string, number>;
  redisCommandsInScripts: Record<string, number>;
  /** Raw commandstats per request during the timed runs (includes touches once touchAfter has passed). */
  timedRawCommandsPerRequest: number;
  /** Median CPU microseconds per request of the app process (all threads), redis-server and the load generator. */
  appCpuUsPerRequest: number;
  redisCpuUsPerRequest: number;
  loadCpuUsPerRequest: number;
  /**
   * Median per-round ratio of the ceiling's CPU per request to this variant's (1.0: as cheap as the
   * ceiling; 0.87: each request costs the app 1/0.87 of the ceiling's CPU). It moves less with the
   * machine's drift than req/s, and says what the req/s ratio would be if the app's core were the only
   * bottleneck. Missing in runs before 2026-12-02.
   */
  cpuRatioToCeiling?: number;
  /** Median share of one core the app used while measured (near 1: the app's CPU was the bottleneck). */
  appCpuShare: number;
  /** With --perf: median user-space instructions of the app per request, in thousands. */
  appKInstructionsPerRequest: number | null;
  rounds: {
    round: number;
    rps: number;
    p50Ms: number;
    p99Ms: number;
    requests: number;
    appCpuUs: number;
    appCpuShare: number;
    non2xx: number;
    errors: number;
  }[];
}

export interface CommandRow {
  requests: number;
  sentPerRequest: number;
  rawPerRequest: number;
  sent: Record<string, number>;
  inScripts: Record<string, number>;
  raw: Record<string, number>;
}

export interface BenchReport {
  generatedAt: string;
  command: string;
  /** "working tree", or the git ref measured with --ref. */
  sessionkitSource?: string;
  mode: "quick" | "full";
  environment: Record<string, string | number>;
  settings: Record<string, number>;
  variants: Partial<Record<Variant, VariantInfo>>;
  results: CellResult[];
  commands: Partial<Record<Variant, Record<string, CommandRow>>>;
  memory: MemoryCase[];
  targets: { target: string; value: number; pass: boolean }[];
  wallTimeSec: number;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "-";

function commandList(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n >= 0.005);
  if (entries.length === 0) return "none";
  return entries.map(([name, n]) => `${name.toUpperCase()}${n === 1 ? "" : ` x${fmt(n, 2)}`}`).join(" + ");
}

export function renderMarkdown(report: BenchReport, svgName: string): string {
  const lines: string[] = [];
  const env = report.environment;
  const s = report.settings;
  lines.push(`# Benchmark results (${report.mode})`, "");
  lines.push(
    `${report.generatedAt}, \`${report.command}\`: Node ${env.node}, Redis ${env.redis}, ${env.cores} cores (${env.cpu}), ` +
      `pinning: ${env.pinning}. ${s.rounds} interleaved rounds of ${s.durationSec} s per variant and route, ` +
      `${s.connections} connections, ${s.sessionPool} sessions per app. Wall time ${fmt(report.wallTimeSec, 0)} s.`,
    "",
  );
  if (report.results.length > 0) {
    lines.push(
      "| variant | route | req/s (median) | min - max | p50 ms | p99 ms | app CPU us/req | CPU x ceiling | x ceiling (min - max) | x connect-redis | Redis commands sent / executed per request |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    );
    for (const c of report.results) {
      const cmds = Number.isFinite(c.redisCommandsPerRequest)
        ? `${fmt(c.redisCommandsPerRequest, 2)} / ${fmt(c.redisCommandsPerRequestRaw, 2)} (${commandList(c.redisCommandsSent)})`
        : "-";
      lines.push(
        `| ${c.label} | ${c.route} | ${fmt(c.rps)} | ${fmt(c.rpsMin)} - ${fmt(c.rpsMax)} | ${fmt(c.p50Ms, 1)} | ${fmt(c.p99Ms, 1)} | ${fmt(c.appCpuUsPerRequest)} | ${fmt(c.cpuRatioToCeiling ?? Number.NaN, 2)} | ` +
          `${fmt(c.ratioToCeiling, 2)} (${fmt(c.ratioToCeilingMin, 2)} - ${fmt(c.ratioToCeilingMax, 2)}) | ` +
          `${c.ratioToConnectRedis === null ? "" : fmt(c.ratioToConnectRedis, 2)} | ${cmds} |`,
      );
    }
    lines.push("", `![ratios to the one-GET ceiling](${svgName})`, "");
  }
  const commandVariants = Object.entries(report.commands);
  if (commandVariants.length > 0) {
    lines.push(
      "Commands per request, counted exactly on a fixed number of requests (MONITOR for who sent what, INFO commandstats for the total):",
      "",
      "| variant | request | sent by the app | inside scripts | total executed |",
      "| --- | --- | --- | --- | ---: |",
    );
    for (const [variant, rows] of commandVariants) {
      for (const [route, row] of Object.entries(rows ?? {})) {
        lines.push(
          `| ${report.variants[variant as Variant]?.label ?? variant} | ${route} | ${commandList(row.sent)} | ${commandList(row.inScripts)} | ${fmt(row.rawPerRequest, 2)} |`,
        );
      }
    }
    lines.push("");
  }
  if (report.memory.length > 0) {
    lines.push(
      "| memory case | sessions | type, encoding | key (length) | bytes / session (used_memory) | MEMORY USAGE / key | extrapolated to 10 M |",
      "| --- | ---: | --- | --- | ---: | ---: | ---: |",
    );
    for (const m of report.memory) {
      lines.push(
        `| ${m.label} | ${fmt(m.sessions)} | ${m.encoding} | \`${m.keyExample}\` (${m.keyLength}) | ${fmt(m.bytesPerSession)} | ${fmt(m.memoryUsagePerKey)} | ${fmt(m.extrapolated10MBytes / 2 ** 30, 2)} GiB |`,
      );
    }
    lines.push("");
  }
  if (report.targets.length > 0) {
    lines.push("| target | value | |", "| --- | ---: | --- |");
    for (const t of report.targets)
      lines.push(`| ${t.target} | ${fmt(t.value, 3)} | ${t.pass ? "met" : "MISSED"} |`);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

const COLORS: Record<string, string> = {
  "express-sessionkit": "#1f6feb",
  "fastify-sessionkit": "#0a3d91",
  "express-connect-redis": "#f0883e",
  "fastify-connect-redis": "#b35900",
  "express-ceiling-dict": "#8c959f",
  "fastify-ceiling-plain": "#57606a",
  "fastify-bare-read": "#2da44e",
  "fastify-sessionkit-metrics": "#6e40c9",
  "fastify-sessionkit-traced": "#bf8700",
};

const CHART_LABELS: Record<string, string> = {
  "express-sessionkit": "(a) Express + sessionkit",
  "fastify-sessionkit": "(b) Fastify + sessionkit",
  "express-connect-redis": "(c) Express + express-session + connect-redis",
  "fastify-connect-redis": "(d) Fastify + @fastify/session + connect-redis",
  "express-ceiling-dict": "(g) Express ceiling, dictionary req/res",
  "fastify-ceiling-plain": "(h) Fastify, one plain ioredis GET",
  "fastify-bare-read": "(i) Fastify, bare session read",
  "fastify-sessionkit-metrics": "(j) Fastify + sessionkit + metrics",
  "fastify-sessionkit-traced": "(k) Fastify + sessionkit, empty tracing subscriber",
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Grouped horizontal bars: per route, each non-ceiling variant's ratio to its framework's ceiling. */
export function renderSvg(report: BenchReport): string {
  const cells = report.results.filter((c) => c.layer !== "ceiling");
  const routes = [...new Set(cells.map((c) => c.route))];
  const variants = [...new Set(cells.map((c) => c.variant))];
  const width = 820;
  const left = 300;
  const right = 60;
  const barHeight = 16;
  const barGap = 4;
  const groupGap = 22;
  const top = 64;
  const maxRatio = Math.max(1.1, ...cells.map((c) => c.ratioToCeilingMax));
  const scale = (width - left - right) / maxRatio;
  const x = (ratio: number) => left + ratio * scale;
  const parts: string[] = [];
  let y = top;
  for (const route of routes) {
    parts.push(
      `<text x="10" y="${y + 12}" font-weight="bold">${escapeXml(`${ROUTE_REQUEST[route].method} ${ROUTE_REQUEST[route].path}`)}</text>`,
    );
    y += 18;
    for (const variant of variants) {
      const c = cells.find((cell) => cell.route === route && cell.variant === variant);
      if (!c) continue;
      const color = COLORS[variant] ?? "#888";
      parts.push(
        `<text x="${left - 8}" y="${y + 12}" text-anchor="end">${escapeXml(CHART_LABELS[variant] ?? c.label)}</text>`,
        `<rect x="${left}" y="${y}" width="${(c.ratioToCeiling * scale).toFixed(1)}" height="${barHeight}" fill="${color}"/>`,
        // min - max of the per-round ratios
        `<line x1="${x(c.ratioToCeilingMin).toFixed(1)}" x2="${x(c.ratioToCeilingMax).toFixed(1)}" y1="${y + barHeight / 2}" y2="${y + barHeight / 2}" stroke="#000" stroke-width="1.5"/>`,
        `<text x="${(x(Math.max(c.ratioToCeiling, c.ratioToCeilingMax)) + 6).toFixed(1)}" y="${y + 12}">${c.ratioToCeiling.toFixed(2)}</text>`,
      );
      y += barHeight + barGap;
    }
    y += groupGap;
  }
  const height = y + 10;
  const grid: string[] = [];
  for (let tick = 0; tick <= maxRatio + 1e-9; tick += 0.1) {
    const major = Math.abs(tick - Math.round(tick * 2) / 2) < 1e-9;
    grid.push(
      `<line x1="${x(tick).toFixed(1)}" x2="${x(tick).toFixed(1)}" y1="${top - 6}" y2="${height - 20}" stroke="${major ? "#bbb" : "#eee"}"/>`,
    );
    if (major)
      grid.push(
        `<text x="${x(tick).toFixed(1)}" y="${top - 10}" text-anchor="middle">${tick.toFixed(1)}</text>`,
      );
  }
  grid.push(
    `<line x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="${top - 6}" y2="${height - 20}" stroke="#2da44e" stroke-width="2"/>`,
    `<line x1="${x(0.9).toFixed(1)}" x2="${x(0.9).toFixed(1)}" y1="${top - 6}" y2="${height - 20}" stroke="#2da44e" stroke-dasharray="4 3"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="18" font-size="14" font-weight="bold">Requests/s as a ratio to the same framework's one-GET ceiling</text>
<text x="10" y="34" fill="#555">median of ${report.settings.rounds} interleaved rounds, ratio taken within each round; whisker: min - max</text>
<text x="10" y="${height - 6}" fill="#555">green line: the ceiling (1.0); dashed: the 0.9 target for reads. ${escapeXml(report.generatedAt)}, ${escapeXml(String(report.environment.cores))} cores, Node ${escapeXml(String(report.environment.node))}, Redis ${escapeXml(String(report.environment.redis))}</text>
${grid.join("\n")}
${parts.join("\n")}
</svg>
`;
}
