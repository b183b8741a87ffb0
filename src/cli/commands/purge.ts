import { Command } from "commander";
import {
  CliError,
  Exit,
  output,
  type SharedOptions,
  withAdmin,
  withPacingOptions,
  withSharedOptions,
} from "../cli-context.js";
import { interruptSignal, scanProgress } from "../progress.js";

interface PurgeCommandOptions extends SharedOptions {
  count: number;
  rate: number;
  yes?: boolean;
}

export function purgeCommand(): Command {
  return withPacingOptions(withSharedOptions(new Command("purge")))
    .description(
      "delete every key of the namespace (sessions, principal indexes, expiry schedule, event stream): everyone is logged out. Refuses without --yes",
    )
    .option("--yes", "really delete")
    .action(async (options: PurgeCommandOptions) => {
      if (!options.yes) {
        throw new CliError(
          `purge deletes every key under ${options.keyPrefix}:${options.namespace}: and logs everyone out; add --yes to do it`,
          Exit.usage,
        );
      }
      const progress = scanProgress("purge");
      const report = await withAdmin(options, (admin) =>
        admin.purge({
          count: options.count,
          rate: options.rate,
          signal: interruptSignal(),
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        }),
      ).finally(() => progress.stop());
      output(
        options,
        report,
        () =>
          `deleted ${report.deleted.toLocaleString("en")} keys of namespace ${report.namespace} in ${report.elapsedMs} ms`,
      );
    });
}
