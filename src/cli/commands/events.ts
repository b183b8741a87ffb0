import { Command } from "commander";
import { toMilliseconds } from "../../common/duration.js";
import { CliError, Exit, type SharedOptions, withAdmin, withSharedOptions } from "../cli-context.js";
import { interruptSignal } from "../progress.js";

interface EventsCommandOptions extends SharedOptions {
  follow?: boolean;
  since?: string;
}

export function eventsCommand(): Command {
  return withSharedOptions(new Command("events"))
    .description(
      "print the namespace's session events as JSON lines (one event per line, also without --json); --follow waits for new ones until Ctrl-C",
    )
    .option("-f, --follow", "keep printing new events")
    .option("--since <time>", 'an ISO time or a duration ago ("15m", "2h")')
    .action(async (options: EventsCommandOptions) => {
      const since = sinceOf(options.since);
      const signal = interruptSignal();
      await withAdmin(options, async (admin) => {
        try {
          for await (const event of admin.events({
            follow: options.follow ?? false,
            signal,
            ...(since === undefined ? {} : { since }),
          })) {
            process.stdout.write(`${JSON.stringify(event)}\n`);
          }
        } catch (error) {
          // Ctrl-C ends --follow: that is its normal end, not a failure.
          if (!signal.aborted) throw error;
        }
      });
    });
}

function sinceOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (!Number.isNaN(time) && /\d{4}-\d{2}-\d{2}/.test(value)) return time;
  try {
    return Date.now() - toMilliseconds(value, "--since");
  } catch {
    throw new CliError(`--since must be an ISO time or a duration like "15m", got "${value}"`, Exit.usage);
  }
}
