import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import pc from "picocolors";
import { formatBytes, type ScanPosition } from "../../admin/index.js";
import { toMilliseconds } from "../../common/duration.js";
import {
  CliError,
  Exit,
  output,
  type SharedOptions,
  shownUrl,
  table,
  withAdmin,
  withPacingOptions,
  withSharedOptions,
} from "../cli-context.js";
import { interruptSignal, resumableScan } from "../progress.js";

interface TtlAuditCommandOptions extends SharedOptions {
  count: number;
  rate: number;
  match: string;
  fix?: boolean;
  ttl?: string;
  dryRun?: boolean;
  yes?: boolean;
  resume?: ScanPosition;
}

export function ttlAuditCommand(): Command {
  return withPacingOptions(withSharedOptions(new Command("ttl-audit")))
    .description(
      "find every key of the whole Redis without a TTL (not only sessionkit's), grouped by pattern with count and memory; --fix --ttl sets one; exit 1 when any is left without a TTL",
    )
    .option("--match <glob>", "only keys matching this SCAN MATCH glob", "*")
    .option(
      "--fix",
      "set --ttl on the keys found (PEXPIRE ... NX: a key that got a TTL meanwhile is left alone)",
    )
    .option("--ttl <duration>", 'the TTL --fix sets, e.g. "14d"')
    .option("--dry-run", "only report (the default without --fix)")
    .option("--yes", "do not ask before --fix on a terminal")
    .option(
      "--resume <node@cursor>",
      "go on where a stopped run said it stopped (scanned keys are not seen again)",
      resumeOf,
    )
    .action(async (options: TtlAuditCommandOptions) => {
      const fixTtlMs = fixTtlOf(options);
      if (fixTtlMs !== undefined && !options.yes && process.stdin.isTTY && process.stderr.isTTY) {
        await confirm(
          `Set a TTL of ${options.ttl} on every key matching "${options.match}" that has none, on ${shownUrl(options)}?`,
        );
      }
      const report = await withAdmin(options, (admin) =>
        resumableScan(fixTtlMs === undefined ? "ttl-audit" : "ttl-audit --fix", (onProgress) =>
          admin.auditTtls({
            match: options.match,
            count: options.count,
            rate: options.rate,
            signal: interruptSignal(),
            ...(fixTtlMs === undefined ? {} : { fixTtlMs }),
            ...(options.resume === undefined ? {} : { resume: options.resume }),
            onProgress,
          }),
        ),
      );
      output(options, report, () => {
        const head = `${report.scanned.toLocaleString("en")} keys scanned in ${report.elapsedMs} ms, ${report.withoutTtl.toLocaleString("en")} without a TTL${
          report.dryRun ? "" : `, ${report.fixed.toLocaleString("en")} given a TTL of ${options.ttl}`
        }`;
        if (report.groups.length === 0) return pc.green(head);
        const grid = table(["pattern", "keys", "memory"]);
        for (const group of report.groups) {
          grid.push([group.pattern, group.keys.toLocaleString("en"), formatBytes(group.bytes)]);
        }
        const hint = report.dryRun ? "\nrun again with --fix --ttl <duration> to set a TTL on them" : "";
        return `${pc.yellow(head)}\n${grid.toString()}${hint}`;
      });
      if (report.withoutTtl > report.fixed) process.exitCode = Exit.failed;
    });
}

function fixTtlOf(options: TtlAuditCommandOptions): number | undefined {
  if (options.dryRun && options.fix)
    throw new CliError("--fix and --dry-run contradict each other", Exit.usage);
  if (!options.fix) {
    if (options.ttl !== undefined) throw new CliError("--ttl only goes with --fix", Exit.usage);
    return undefined;
  }
  if (options.ttl === undefined)
    throw new CliError("--fix needs --ttl <duration>, e.g. --ttl 14d", Exit.usage);
  let ms: number;
  try {
    ms = toMilliseconds(options.ttl, "--ttl");
  } catch (error) {
    throw new CliError((error as Error).message, Exit.usage);
  }
  if (ms <= 0) throw new CliError("--ttl must be longer than 0", Exit.usage);
  return ms;
}

export function resumeOf(value: string): ScanPosition {
  const at = value.lastIndexOf("@");
  const cursor = value.slice(at + 1);
  if (at <= 0 || !/^\d+$/.test(cursor)) {
    throw new CliError(
      `--resume takes host:port@cursor as a stopped run printed it, got "${value}"`,
      Exit.usage,
    );
  }
  return { node: value.slice(0, at), cursor };
}

async function confirm(question: string): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("not confirmed: nothing changed", Exit.failed);
  } finally {
    rl.close();
  }
}
