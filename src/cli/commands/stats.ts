import { Command } from "commander";
import pc from "picocolors";
import { formatBytes, type Histogram } from "../../admin/index.js";

import {
  Exit,
  output,
  positiveInteger,
  type SharedOptions,
  table,
  withAdmin,
  withPacingOptions,
  withSharedOptions,
} from "../cli-context.js";
import { interruptSignal, scanProgress } from "../progress.js";

interface StatsCommandOptions extends SharedOptions {
  count: number;
  rate: number;
  memorySample: number;
}

export function statsCommand(): Command {
  return withPacingOptions(withSharedOptions(new Command("stats")))
    .description(
      "count the namespace's sessions and principals on every primary, their memory, TTL/idle/size histograms and the event stream; exit 1 when the namespace has no keys",
    )
    .option(
      "--memory-sample <n>",
      "sessions per primary measured with MEMORY USAGE (the rest is extrapolated)",
      positiveInteger("--memory-sample"),
      1000,
    )
    .action(async (options: StatsCommandOptions) => {
      const progress = scanProgress("stats");
      const stats = await withAdmin(options, (admin) =>
        admin.stats({
          count: options.count,
          rate: options.rate,
          memorySample: options.memorySample,
          signal: interruptSignal(),
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        }),
      ).finally(() => progress.stop());
      output(options, stats, () => {
        const lines = [
          pc.bold(`namespace ${stats.namespace}`),
          `sessions     ${stats.sessions.toLocaleString("en")}`,
          `principals   ${stats.principals.toLocaleString("en")}`,
          `memory       ${formatBytes(stats.bytes)} (${stats.bytesPerSession} B per session${
            stats.estimated ? `, estimated from ${stats.memorySampled} sampled with MEMORY USAGE` : ""
          })`,
          `events       ${stats.events.length.toLocaleString("en")} in the stream${stats.events.groups
            .map((g) => `; group ${g.name}: lag ${g.lag ?? "?"}, pending ${g.pending}`)
            .join("")}`,
          `scan         ${stats.elapsedMs} ms`,
          histogramTable(stats.histograms),
        ];
        return lines.join("\n");
      });
      if (stats.sessions === 0 && stats.principals === 0 && stats.events.length === 0) {
        process.stderr.write(
          `no keys under ${options.keyPrefix}:${options.namespace}: (is the namespace right?)\n`,
        );
        process.exitCode = Exit.failed;
      }
    });
}

function histogramTable(histograms: Record<"ttl" | "idle" | "size", Histogram>): string {
  const grid = table(["up to", "remaining TTL", "idle", "up to", "record size"]);
  const rows = Math.max(histograms.ttl.buckets.length, histograms.size.buckets.length);
  for (let i = 0; i < rows; i++) {
    const ttl = histograms.ttl.buckets[i];
    const idle = histograms.idle.buckets[i];
    const size = histograms.size.buckets[i];
    grid.push([
      ttl ? duration(ttl.le) : "",
      ttl?.count ?? "",
      idle?.count ?? "",
      size ? (size.le === null ? "more" : formatBytes(size.le)) : "",
      size?.count ?? "",
    ]);
  }
  return grid.toString();
}

function duration(ms: number | null): string {
  if (ms === null) return "more";
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  if (ms < 86_400_000) return `${ms / 3_600_000} h`;
  return `${ms / 86_400_000} d`;
}
