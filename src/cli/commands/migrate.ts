import { Command } from "commander";
import pc from "picocolors";
import type { ConnectRedisConversionReport, ScanPosition } from "../../admin/index.js";
import { type Duration, toMilliseconds } from "../../common/duration.js";
import {
  CliError,
  Exit,
  output,
  type SharedOptions,
  withAdmin,
  withPacingOptions,
  withSharedOptions,
} from "../cli-context.js";
import { interruptSignal, resumableScan } from "../progress.js";
import { loadCodec } from "./inspect.js";
import { resumeOf } from "./ttl-audit.js";

interface ConnectRedisCommandOptions extends SharedOptions {
  count: number;
  rate: number;
  fromPrefix: string;
  secretEnv: string;
  idleTimeout: string;
  absoluteTimeout: string;
  codec?: string;
  dryRun?: boolean;
  resume?: ScanPosition;
}

/** `sessionkit migrate <source>`: bulk moves from another session store. */
export function migrateCommand(): Command {
  return new Command("migrate")
    .description("move sessions from another store into sessionkit's records: connect-redis")
    .addCommand(connectRedisCommand().exitOverride().showHelpAfterError("(add --help for usage)"));
}

function connectRedisCommand(): Command {
  return withPacingOptions(withSharedOptions(new Command("connect-redis")))
    .description(
      "convert every connect-redis (express-session) record into the native record the app's expressSession(...) import would write, under the same derived ID: TTL and deadlines kept, paced, resumable, idempotent (a record already there is never overwritten); legacy keys are left in place",
    )
    .option("--from-prefix <prefix>", "connect-redis's prefix: its records are <prefix><session ID>", "sess:")
    .option(
      "--secret-env <VAR>",
      "the environment variable holding the sessionkit app's secret (its first secret derives the IDs; never given as a flag value)",
      "SESSIONKIT_SECRET",
    )
    .option("--idle-timeout <duration>", "the app's idleTimeout", "1d")
    .option("--absolute-timeout <duration>", "the app's absoluteTimeout", "14d")
    .option(
      "--codec <module>",
      "a module whose default export is the app's codec ({ name, encode, decode }); default typed JSON",
    )
    .option("--dry-run", "count what would be converted, write nothing")
    .option(
      "--resume <node@cursor>",
      "go on where a stopped run said it stopped (what it converted is not converted again either way)",
      resumeOf,
    )
    .action(async (options: ConnectRedisCommandOptions) => {
      const secret = process.env[options.secretEnv];
      if (secret === undefined || secret === "") {
        throw new CliError(
          `${options.secretEnv} is not set: put the sessionkit app's secret in it (or name another variable with --secret-env)`,
          Exit.usage,
        );
      }
      const idleTimeout = duration(options.idleTimeout, "--idle-timeout");
      const absoluteTimeout = duration(options.absoluteTimeout, "--absolute-timeout");
      const codec = options.codec === undefined ? undefined : await loadCodec(options.codec);
      const report = await withAdmin(options, (admin) =>
        resumableScan(
          options.dryRun ? "migrate connect-redis --dry-run" : "migrate connect-redis",
          (onProgress) =>
            admin.convertConnectRedis({
              prefix: options.fromPrefix,
              secret,
              idleTimeout,
              absoluteTimeout,
              dryRun: options.dryRun ?? false,
              count: options.count,
              rate: options.rate,
              signal: interruptSignal(),
              ...(codec === undefined ? {} : { codec }),
              ...(options.resume === undefined ? {} : { resume: options.resume }),
              onProgress,
            }),
        ),
      );
      const resume = report.resume === null ? null : `${report.resume.node}@${report.resume.cursor}`;
      if (report.interrupted) {
        process.stderr.write(
          resume === null
            ? "interrupted before the first batch: run it again\n"
            : `interrupted: to go on from here: --resume ${resume}\n`,
        );
        process.exitCode = Exit.interrupted;
      }
      output(options, { ...report, resume }, () => human(report, options.fromPrefix));
    });
}

function human(report: ConnectRedisConversionReport, prefix: string): string {
  const n = (value: number) => value.toLocaleString("en");
  const { skipped } = report;
  const skips = Object.entries(skipped)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${n(count)} ${reason}`);
  const lines = [
    `${n(report.scanned)} ${prefix}* keys scanned in ${report.elapsedMs} ms: ${n(report.converted)} ${report.dryRun ? "would be converted" : "converted"}, ${n(report.alreadyConverted)} already converted${skips.length > 0 ? `, skipped: ${skips.join(", ")}` : ""}`,
    report.dryRun
      ? "dry run: nothing written"
      : `the ${prefix}* keys are left in place (the app's stage sessionkit-only ends each on its user's next request; otherwise they expire by their TTL)`,
  ];
  return report.interrupted ? pc.yellow(lines.join("\n")) : pc.green(lines.join("\n"));
}

function duration(value: string, name: string): Duration {
  try {
    if (toMilliseconds(value, name) <= 0) throw new Error(`${name} must be longer than 0`);
  } catch (error) {
    throw new CliError((error as Error).message, Exit.usage);
  }
  return value;
}
